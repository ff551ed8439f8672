import { FieldPath, type Firestore, type Timestamp } from '@google-cloud/firestore';
import type { RecordingPlan } from '../../domain/recordings/plan.js';
import type { PlanCreation, PlanUpdate, RecordingPlans } from '../../ports/recordings.js';
import { GrpcCode, grpcCodeOf } from '../grpc-codes.js';
import { lostRace, retryLostRaces } from './optimistic-retry.js';

/**
 * `recordings/{planId}`: one document per recording's upload plan, as the domain shapes it (dates as
 * ISO strings, which sort as they compare). Updates are optimistic, like sessions': read, decide,
 * write only if the document is unchanged since the read, and go again on a lost race.
 *
 * A worker changes its plan many times in a row (claim, each part's acknowledgement, the deletion),
 * and each change would otherwise wait for a read of what it has just written. So the version of a
 * plan this instance last read or wrote is kept, and the next change is decided on it and written
 * with that version's update time as precondition: no read when nobody else wrote in between, and
 * the usual read-decide-write when somebody did (the precondition fails) or when the change does not
 * apply to the kept version (only a fresh read may say that nothing is to be written).
 */
export const RECORDINGS = 'recordings';

const RETRIES = { maxAttempts: 20, maxBackoffMs: 200 };
/** Plans whose last version is kept: the workers of one instance work on a few at a time. */
const KEPT_VERSIONS = 64;
/** Firestore's limit on the documents of one batched read is well above this; a listing page is at most this. */
const MAX_GET_MANY = 1000;

interface KeptVersion {
  plan: RecordingPlan;
  updateTime: Timestamp;
}

export class FirestoreRecordingPlans implements RecordingPlans {
  /** By plan id, oldest first (a Map keeps insertion order). */
  private readonly versions = new Map<string, KeptVersion>();

  constructor(private readonly db: Firestore) {}

  private ref(planId: string) {
    return this.db.collection(RECORDINGS).doc(planId);
  }

  private keep(planId: string, plan: RecordingPlan, updateTime: Timestamp) {
    this.versions.delete(planId);
    // A copy: what the callers are handed is theirs.
    this.versions.set(planId, { plan: structuredClone(plan), updateTime });
    if (this.versions.size > KEPT_VERSIONS) this.versions.delete(this.versions.keys().next().value!);
  }

  /**
   * `change` decided on the kept version and written if that version is still the stored one.
   * Undefined when that cannot be told without a read.
   */
  private async updateKept(
    planId: string,
    change: (plan: RecordingPlan) => RecordingPlan | undefined,
  ): Promise<PlanUpdate | undefined> {
    const kept = this.versions.get(planId);
    if (!kept) return undefined;
    const next = change(structuredClone(kept.plan));
    if (!next) return undefined;
    try {
      const { writeTime } = await this.ref(planId).update({ ...next }, { lastUpdateTime: kept.updateTime });
      this.keep(planId, next, writeTime);
      return { written: true, plan: next };
    } catch (error) {
      this.versions.delete(planId);
      // Changed by another writer (or deleted) since: decided again on a fresh read.
      if (lostRace(error) || grpcCodeOf(error) === GrpcCode.NOT_FOUND) return undefined;
      throw error;
    }
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
    return (await this.read(planId))?.plan;
  }

  private async read(planId: string): Promise<KeptVersion | undefined> {
    const snapshot = await this.ref(planId).get();
    if (!snapshot.exists) {
      this.versions.delete(planId);
      return undefined;
    }
    const read = { plan: snapshot.data() as RecordingPlan, updateTime: snapshot.updateTime! };
    this.keep(planId, read.plan, read.updateTime);
    return read;
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
    const written = await this.updateKept(planId, change);
    if (written) return written;
    return retryLostRaces(async () => {
      const current = await this.read(planId);
      if (!current) return undefined;
      const next = change(current.plan);
      if (!next) return { written: false, plan: current.plan };
      // Every field of the plan is given, so update() replaces the whole document's content.
      const { writeTime } = await this.ref(planId)
        .update({ ...next }, { lastUpdateTime: current.updateTime })
        .catch((error: unknown) => {
          this.versions.delete(planId);
          throw error;
        });
      this.keep(planId, next, writeTime);
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
