import type { Firestore } from '@google-cloud/firestore';
import type { RecordingPlan } from '../../domain/recordings/plan.js';
import type { PlanCreation, RecordingPlans } from '../../ports/recordings.js';

/**
 * `recordings/{planId}`: one document per recording's upload plan, as the domain shapes it (dates as
 * ISO strings, which sort as they compare). Updates are optimistic, like sessions': read, decide,
 * write only if the document is unchanged since the read, and go again on a lost race.
 */
export const RECORDINGS = 'recordings';

const ALREADY_EXISTS = 6;
const FAILED_PRECONDITION = 9;
const ABORTED = 10;
const MAX_ATTEMPTS = 20;

const codeOf = (error: unknown) => (error as { code?: unknown } | null)?.code;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
      if (codeOf(error) !== ALREADY_EXISTS) throw error;
      const existing = await this.get(plan.id);
      // Created then deleted by hand in between: nothing sensible but to report the conflict.
      if (!existing) throw error;
      return { created: false, plan: existing };
    }
  }

  async get(planId: string): Promise<RecordingPlan | undefined> {
    return (await this.ref(planId).get()).data() as RecordingPlan | undefined;
  }

  async update(
    planId: string,
    change: (plan: RecordingPlan) => RecordingPlan | undefined,
  ): Promise<RecordingPlan | undefined> {
    for (let attempt = 1; ; attempt++) {
      const snapshot = await this.ref(planId).get();
      if (!snapshot.exists) return undefined;
      const current = snapshot.data() as RecordingPlan;
      const next = change(current);
      if (!next) return current;
      try {
        // Every field of the plan is given, so update() replaces the whole document's content.
        await this.ref(planId).update({ ...next }, { lastUpdateTime: snapshot.updateTime! });
        return next;
      } catch (error) {
        const code = codeOf(error);
        if ((code !== FAILED_PRECONDITION && code !== ABORTED) || attempt >= MAX_ATTEMPTS) throw error;
        await sleep(Math.random() * Math.min(200, 5 * 2 ** attempt));
      }
    }
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

  async overdue(now: Date, limit: number): Promise<RecordingPlan[]> {
    const snapshot = await this.db
      .collection(RECORDINGS)
      .where('status', 'in', ['uploading', 'uploaded', 'failed'])
      .where('purgeAt', '<=', now.toISOString())
      .orderBy('purgeAt')
      .limit(limit)
      .get();
    return snapshot.docs.map((d) => d.data() as RecordingPlan);
  }
}
