import {
  planIdFor,
  purgedOrphan,
  stepForPurgeTask,
  type RecordingPlan,
} from '../../domain/recordings/plan.js';
import {
  needsPlanToDecide,
  stepForSweptObject,
  type BucketScanCursor,
  type SweptObjectStep,
} from '../../domain/recordings/sweep.js';
import { logs } from '../../log.js';
import type { BucketScanCursors, RecordingObject } from '../../ports/recordings.js';
import type { RecordingPipelineDeps } from './deps.js';
import { planRecording } from './plan-recording.js';
import { deleteUploaded, purge } from './upload-tasks.js';

export { ORPHAN_GRACE_MS } from '../../domain/recordings/sweep.js';

export interface SweepDeps extends RecordingPipelineDeps {
  scanCursors: BucketScanCursors;
  /**
   * Milliseconds on a clock that only moves forward, at real pace: what bounds a sweep's running
   * time. Not `clock`, which stands for the business's time and may be moved.
   */
  monotonicMs: () => number;
}

export interface SweepLimits {
  /**
   * No new step starts after this long. The sweeper's timeout is 540 s (infra/functions.tf): the
   * step under way when the budget runs out has the remaining four minutes to end.
   */
  timeBudgetMs: number;
  /** Overdue plans dealt with per sweep at most. */
  maxOverduePlans: number;
  /** Objects listed per sweep at most; the next sweep goes on from the last one. */
  maxObjects: number;
}

export const SWEEP_LIMITS: SweepLimits = {
  timeBudgetMs: 5 * 60_000,
  maxOverduePlans: 5_000,
  // At 500 objects a page, 40 pages: a bucket of this many objects is covered by each hourly sweep,
  // a larger one by successive sweeps, well inside the day between the purge time and the 7 days.
  maxObjects: 20_000,
};

const OVERDUE_BATCH = 100;
/**
 * Steps of one batch or page run this many at a time: each is a few round trips to Storage and
 * Firestore, on different objects and plans, so they do not wait on one another.
 */
const STEPS_AT_ONCE = 8;

export interface SweepSummary {
  overduePurged: number;
  overdueDeleted: number;
  orphansPlanned: number;
  orphansPurged: number;
  leftoversDeleted: number;
  objectsSeen: number;
  /** Objects whose plan was read (in one batched read per listing page); the others were decided by age. */
  plansRead: number;
  /** Steps that failed; each was logged, and the sweep went on. */
  failures: number;
  /** 1 when this sweep finished a pass over the bucket; the next one starts again from the first object. */
  passFinished: 0 | 1;
  /** Why the sweep stopped: the end of a pass, its time budget, or its bound on work. */
  stoppedBy: 'pass_finished' | 'time_budget' | 'work_bound';
}

/**
 * The hourly safety net of REC-3, for when tasks did not run (the queue gave up, a worker never
 * came back, an announcement was lost): overdue plans are purged; objects without a plan are planned,
 * or purged when they are already due; objects whose plan is finished are deleted again.
 *
 * Bounded by time and work, so that a sweep always ends: the scan of the bucket goes on, in the
 * next sweep, after the last object this one dealt with. A step that fails (a delete refused, a plan
 * that cannot be written) is logged and counted, and the sweep goes on; the next sweep tries it again.
 */
export async function sweep(deps: SweepDeps, limits: SweepLimits = SWEEP_LIMITS): Promise<SweepSummary> {
  const startedMs = deps.monotonicMs();
  const outOfTime = () => deps.monotonicMs() - startedMs >= limits.timeBudgetMs;
  const summary: SweepSummary = {
    overduePurged: 0,
    overdueDeleted: 0,
    orphansPlanned: 0,
    orphansPurged: 0,
    leftoversDeleted: 0,
    objectsSeen: 0,
    plansRead: 0,
    failures: 0,
    passFinished: 0,
    stoppedBy: 'pass_finished',
  };

  const tried = await sweepOverduePlans(deps, limits, outOfTime, summary);
  await scanBucket(deps, limits, outOfTime, summary, tried);

  logs.sweepCompleted({ ...summary });
  return summary;
}

/**
 * Every plan past its purge time, oldest first, each one once even when it cannot be purged now.
 * Returns the ids of those it dealt with, so that the scan does not try a failed one again.
 */
async function sweepOverduePlans(
  deps: SweepDeps,
  limits: SweepLimits,
  outOfTime: () => boolean,
  summary: SweepSummary,
): Promise<Set<string>> {
  const tried = new Set<string>();
  let after: RecordingPlan | undefined;
  for (let dealtWith = 0; dealtWith < limits.maxOverduePlans;) {
    if (outOfTime()) {
      summary.stoppedBy = 'time_budget';
      return tried;
    }
    const batchSize = Math.min(OVERDUE_BATCH, limits.maxOverduePlans - dealtWith);
    const overdue = await deps.plans.overdue(deps.clock.now(), batchSize, after);
    await eachAtOnce(overdue, async (plan) => {
      tried.add(plan.id);
      const step = stepForPurgeTask(plan, deps.clock.now());
      if (step.do === 'purge' || step.do === 'delete') {
        const target = { object: plan.object, createdAt: new Date(plan.objectCreatedAt), plan };
        const todo = step.do === 'purge' ? ('purge' as const) : ('delete_uploaded' as const);
        await attempt(summary, plan.id, todo, () => act(deps, { do: todo }, target, summary));
      }
    });
    dealtWith += overdue.length;
    after = overdue.at(-1);
    if (overdue.length < batchSize) return tried;
  }
  return tried;
}

/**
 * One page after another from where the last sweep stopped. Objects younger than the grace period
 * are decided by their age; the plans of the others are read together, one batched read a page.
 */
async function scanBucket(
  deps: SweepDeps,
  limits: SweepLimits,
  outOfTime: () => boolean,
  summary: SweepSummary,
  triedAlready: ReadonlySet<string>,
) {
  const saved = await deps.scanCursors.get(deps.bucket);
  let cursor: BucketScanCursor = saved ?? {
    after: null,
    passStartedAt: deps.clock.now().toISOString(),
    savedAt: deps.clock.now().toISOString(),
  };
  if (cursor.after === null) cursor = { ...cursor, passStartedAt: deps.clock.now().toISOString() };

  for (;;) {
    if (summary.objectsSeen >= limits.maxObjects) {
      summary.stoppedBy = 'work_bound';
      return;
    }
    if (outOfTime()) {
      summary.stoppedBy = 'time_budget';
      return;
    }
    const page = await deps.blobs.list(
      deps.bucket,
      '',
      cursor.after === null ? undefined : { startAfter: cursor.after },
    );
    const now = deps.clock.now();
    const needed = page.objects.filter((o) => needsPlanToDecide(o.createdAt, now));
    const plans = await deps.plans.getMany(needed.map((o) => planIdFor(o)));
    summary.plansRead += needed.length;

    summary.objectsSeen += page.objects.length;
    await eachAtOnce(page.objects, async (object) => {
      const planId = planIdFor(object);
      if (triedAlready.has(planId)) return;
      const plan = plans.get(planId);
      // The time the reads were chosen by: an object that came of age since then waits for the next pass.
      const step = stepForSweptObject(object.createdAt, plan, now);
      if (step.do === 'leave') return;
      const target = { object: planObjectOf(object), createdAt: object.createdAt, plan };
      await attempt(summary, planId, step.do, () => act(deps, step, target, summary));
    });

    const last = page.objects.at(-1);
    const finished = !page.nextPageToken;
    cursor = {
      after: finished ? null : (last?.name ?? cursor.after),
      passStartedAt: cursor.passStartedAt,
      savedAt: deps.clock.now().toISOString(),
    };
    await deps.scanCursors.save(deps.bucket, cursor);
    if (finished) {
      summary.passFinished = 1;
      summary.stoppedBy = 'pass_finished';
      return;
    }
  }
}

interface SweptTarget {
  object: RecordingPlan['object'];
  createdAt: Date;
  /** The plan of that generation, when it has one. */
  plan: RecordingPlan | undefined;
}

async function act(
  deps: SweepDeps,
  step: Exclude<SweptObjectStep, { do: 'leave' }>,
  { object, createdAt, plan }: SweptTarget,
  summary: SweepSummary,
) {
  const { bucket, name, generation } = object;
  switch (step.do) {
    case 'purge':
      await purge(deps, plan!, 'deadline');
      summary.overduePurged++;
      return;
    case 'delete_uploaded':
      await deleteUploaded(deps, plan!);
      summary.overdueDeleted++;
      return;
    case 'delete_leftover':
      // Deleted or purged, yet here: a deletion that did not take. That generation only.
      if ((await deps.blobs.delete(bucket, name, generation)) === 'deleted') summary.leftoversDeleted++;
      return;
    case 'plan': {
      const planned = await planRecording(deps, { bucket, name, generation, source: 'sweep' });
      if (planned.outcome === 'created') summary.orphansPlanned++;
      return;
    }
    case 'purge_orphan': {
      // The record first: an orphan deleted but not recorded would be gone without a trace, while a
      // record whose deletion failed is a leftover the next sweep deletes.
      const record = purgedOrphan(object, createdAt, deps.clock.now());
      const stored = await deps.plans.create(record);
      if (!stored.created) {
        // Planned since it was listed: purged as its plan says.
        await purge(deps, stored.plan, 'deadline');
        summary.overduePurged++;
        return;
      }
      const result = await deps.blobs.delete(bucket, name, generation);
      logs.recordingPurged({
        planId: record.id,
        reason: 'orphaned_object',
        partsAcknowledged: 0,
        partCount: 0,
        objectWas: result,
      });
      summary.orphansPurged++;
    }
  }
}

const planObjectOf = ({ bucket, name, generation, sizeBytes, contentType }: RecordingObject) => ({
  bucket,
  name,
  generation,
  sizeBytes,
  ...(contentType ? { contentType } : {}),
});

/** `run` for each item, STEPS_AT_ONCE at a time; `run` never throws (it goes through `attempt`). */
async function eachAtOnce<T>(items: readonly T[], run: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(STEPS_AT_ONCE, items.length) }, worker));
}

/** Runs one step; a failure is logged (identifiers and the error's kind only) and counted. */
async function attempt(summary: SweepSummary, planId: string, step: string, run: () => Promise<void>) {
  try {
    await run();
  } catch (error) {
    summary.failures++;
    logs.recordingSweepStepFailed({ planId, step, error: errorKind(error) });
  }
}

/** The error's class and code: messages of storage errors name the object, which is not for logs. */
function errorKind(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' || typeof code === 'string' ? `${error.name} (${code})` : error.name;
}
