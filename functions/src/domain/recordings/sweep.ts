import { isFinished, purgeTimeFor, stepForPurgeTask, type RecordingPlan } from './plan.js';

/**
 * What the hourly sweep (REC-3's safety net) does with each object it finds in the bucket. Pure:
 * time comes in as `now`.
 */

/** An object this old with no plan was missed by both announcements: the sweep plans it. */
export const ORPHAN_GRACE_MS = 15 * 60_000;

/**
 * Whether the object's plan must be read to decide. An object younger than the grace period is
 * left to its announcements whatever its plan says, so its age alone decides.
 */
export const needsPlanToDecide = (objectCreatedAt: Date, now: Date): boolean =>
  now.getTime() - objectCreatedAt.getTime() >= ORPHAN_GRACE_MS;

export type SweptObjectStep =
  /** Its announcements are still due, or its plan's tasks are working on it. */
  | { do: 'leave' }
  /** No plan, and old enough that both announcements were missed. */
  | { do: 'plan' }
  /** No plan, and its purge time has come: deleted and recorded as an orphan. */
  | { do: 'purge_orphan' }
  /** Its plan is finished, yet this generation is still here: a deletion that did not take. */
  | { do: 'delete_leftover' }
  /** Its plan is unfinished and overdue: purged as its purge task would. */
  | { do: 'purge' }
  /** Its plan has every part acknowledged and is overdue: deleted as REC-1 asks. */
  | { do: 'delete_uploaded' };

/**
 * The one decision for an object the sweep lists. `plan` is the plan of that very generation, or
 * undefined when there is none; never called with an unread plan for an object that needs it.
 */
export function stepForSweptObject(
  objectCreatedAt: Date,
  plan: RecordingPlan | undefined,
  now: Date,
): SweptObjectStep {
  if (!needsPlanToDecide(objectCreatedAt, now)) return { do: 'leave' };
  if (!plan) return now >= purgeTimeFor(objectCreatedAt) ? { do: 'purge_orphan' } : { do: 'plan' };
  if (isFinished(plan)) return { do: 'delete_leftover' };
  // Before its purge time an unfinished plan belongs to its tasks; an uploaded one is being deleted.
  if (now.getTime() < Date.parse(plan.purgeAt)) return { do: 'leave' };
  const step = stepForPurgeTask(plan, now);
  if (step.do === 'delete') return { do: 'delete_uploaded' };
  return step.do === 'purge' ? { do: 'purge' } : { do: 'leave' };
}

/** Where the scan of the bucket stands between sweeps: a pass over every object, in name order. */
export interface BucketScanCursor {
  /** The last object name the scan dealt with; null when the next sweep starts a new pass. */
  after: string | null;
  /** When the pass under way began (ISO). */
  passStartedAt: string;
  /** When the cursor was last moved (ISO). */
  savedAt: string;
}
