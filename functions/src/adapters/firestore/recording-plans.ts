import { FieldPath, type Firestore } from '@google-cloud/firestore';
import type { RecordingPlan } from '../../domain/recordings/plan.js';
import type { PlanCreation, PlanUpdate, RecordingPlans } from '../../ports/recordings.js';
import { GrpcCode, grpcCodeOf } from '../grpc-codes.js';
import { retryLostRaces } from './optimistic-retry.js';

/**
 * `recordings/{planId}`: one document per recording's upload plan, as the domain shapes it (dates as
 * ISO strings, which sort as they compare). Updates are optimistic, like sessions': read, decide,
 * write only if the document is unchanged since the read, and go again on a lost race.
 */
export const RECORDINGS = 'recordings';

const RETRIES = { maxAttempts: 20, maxBackoffMs: 200 };
/** Firestore's limit on the documents of one batched read is well above this; a listing page is at most this. */
const MAX_GET_MANY = 1000;

export class FirestoreRecordingPlans implements RecordingPlans {
  constructor(private readonly db: Firestore) {}

  private ref(planId: string) {
    return this.db.collection(RECORDINGS).doc(planId);
  }

  async create(plan: RecordingPlan): Promise<PlanCreation> {
    try {
      await this.ref(plan.id).create(plan);
      return { created: true, plan };
    } catch (error) {
      if (grpcCodeOf(error) !== GrpcCode.ALREADY_EXISTS) throw error;
      const existing = await this.get(plan.id);
      // Created then deleted by hand in between: nothing sensible but to report the conflict.
      if (!existing) throw error;
      return { created: false, plan: existing };
    }
  }

  async get(planId: string): Promise<RecordingPlan | undefined> {
    return (await this.ref(planId).get()).data() as RecordingPlan | undefined;
  }

  async getMany(planIds: readonly string[]): Promise<Map<string, RecordingPlan>> {
    if (planIds.length > MAX_GET_MANY) throw new RangeError(`at most ${MAX_GET_MANY} plans are read at once`);
    const found = new Map<string, RecordingPlan>();
    if (planIds.length === 0) return found;
    // One round trip for the lot; each id is still one document read.
    for (const snapshot of await this.db.getAll(...planIds.map((id) => this.ref(id))))
      if (snapshot.exists) found.set(snapshot.id, snapshot.data() as RecordingPlan);
    return found;
  }

  async update(
    planId: string,
    change: (plan: RecordingPlan) => RecordingPlan | undefined,
  ): Promise<PlanUpdate | undefined> {
    return retryLostRaces(async () => {
      const snapshot = await this.ref(planId).get();
      if (!snapshot.exists) return undefined;
      const current = snapshot.data() as RecordingPlan;
      const next = change(current);
      if (!next) return { written: false, plan: current };
      // Every field of the plan is given, so update() replaces the whole document's content.
      await this.ref(planId).update({ ...next }, { lastUpdateTime: snapshot.updateTime! });
      return { written: true, plan: next };
    }, RETRIES);
  }

  async withStatus(status: RecordingPlan['status'], limit: number): Promise<RecordingPlan[]> {
    const snapshot = await this.db
      .collection(RECORDINGS)
      .where('status', '==', status)
      .orderBy('updatedAt', 'desc')
      .limit(limit)
      .get();
    return snapshot.docs.map((d) => d.data() as RecordingPlan);
  }

  async overdue(
    now: Date,
    limit: number,
    after?: Pick<RecordingPlan, 'purgeAt' | 'id'>,
  ): Promise<RecordingPlan[]> {
    // The id breaks ties of purge time, so that a batch can start exactly after the previous one.
    const ordered = this.db
      .collection(RECORDINGS)
      .where('status', 'in', ['uploading', 'uploaded', 'failed'])
      .where('purgeAt', '<=', now.toISOString())
      .orderBy('purgeAt')
      .orderBy(FieldPath.documentId());
    const snapshot = await (after ? ordered.startAfter(after.purgeAt, after.id) : ordered).limit(limit).get();
    return snapshot.docs.map((d) => d.data() as RecordingPlan);
  }
}
