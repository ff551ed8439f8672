import type { RecordingPlan } from '../domain/recordings/plan.js';
import type { BucketScanCursor } from '../domain/recordings/sweep.js';

/**
 * What the recordings pipeline (REC-1 … REC-6) needs around the CRM: the bucket the platform writes
 * recordings to, the task queue that paces the uploads, and the store of upload plans.
 */

/** One generation of an object in the recordings bucket. */
export interface RecordingObject {
  bucket: string;
  name: string;
  /** Cloud Storage generation, as a decimal string, as the API gives it (an int64). */
  generation: string;
  sizeBytes: number;
  /** When this generation was written: the 7-day clock starts here (REC-3). */
  createdAt: Date;
  contentType?: string;
  /** The object's custom metadata. */
  metadata: Record<string, string>;
}

export interface ObjectPage {
  objects: RecordingObject[];
  nextPageToken?: string;
}

/**
 * Where a listing starts: after a page it continues, or after an object name (not included; the
 * page may then hold one object fewer than a full one).
 */
export type ListFrom = { pageToken: string } | { startAfter: string };

/** Thrown by reads when the generation asked for no longer exists (deleted or replaced). */
export class ObjectGenerationGone extends Error {
  constructor(
    readonly bucket: string,
    readonly objectName: string,
    readonly generation: string,
  ) {
    super(`gs://${bucket}/${objectName}#${generation} no longer exists`);
    this.name = 'ObjectGenerationGone';
  }
}

export interface RecordingBlobs {
  /** The live generation of an object, or undefined when there is none. */
  stat(bucket: string, name: string): Promise<RecordingObject | undefined>;
  /**
   * The bytes of exactly that generation, `start` to `end` both inclusive (the whole object when no
   * range is given), streamed: never held whole in memory, not validated by the client (range reads
   * cannot be), so callers hash what they read. The download starts at the first read. Fails with
   * ObjectGenerationGone when the generation is gone, at the first read at the latest.
   * `startNow`: the download begins at once instead, its answer and first bytes waiting (with
   * backpressure) for the first read; a failure before then is kept for that read.
   */
  read(
    bucket: string,
    name: string,
    generation: string,
    range?: { start: number; end: number },
    options?: { startNow?: boolean },
  ): AsyncIterable<Uint8Array>;
  /**
   * Deletes that generation only (never a newer object written under the same name).
   * `deleted` when this call removed it, `absent` when it was already gone or replaced.
   */
  delete(bucket: string, name: string, generation: string): Promise<'deleted' | 'absent'>;
  /** Objects under `prefix`, a page at a time, in name order; from the first one unless told. */
  list(bucket: string, prefix: string, from?: ListFrom): Promise<ObjectPage>;
}

/** A recording to plan, as the platform's `recording.available` event announces it. */
export interface PlanRequest {
  bucket: string;
  object: string;
  /** When the event does not say, the live generation is planned. */
  generation?: string;
  sessionId: string;
  recordingId: string;
}

/** A recording's upload is paced by tasks; each is delivered at least once, perhaps more. */
export interface RecordingTasks {
  /** Enqueues a task that plans the recording (at most one task per object and generation). */
  enqueuePlanning(request: PlanRequest): Promise<void>;
  /**
   * Enqueues a task that uploads one part. Idempotent: a task for the same plan, round and part
   * that exists (or ran within the queue's deduplication window) is not created twice.
   */
  enqueuePartUpload(planId: string, round: number, partIndex: number): Promise<void>;
  /**
   * Schedules the same task as enqueuePartUpload, due at `at` (a wait that is not an error: the
   * call's CRM record is not known yet). Idempotent per plan, round, part and time: tasks that ask
   * for the same time make one.
   */
  schedulePartUpload(planId: string, round: number, partIndex: number, at: Date): Promise<void>;
  /** Schedules a task, due at `at`, that deletes the plan's recording whatever became of the upload (REC-3). Idempotent. */
  schedulePurge(planId: string, at: Date): Promise<void>;
  /**
   * Schedules the purge task again, due at `at`, after one came before its time. Idempotent per plan
   * and time (a task other than schedulePurge's, whose name is still taken).
   */
  schedulePurgeAgain(planId: string, at: Date): Promise<void>;
}

/** The outcome of `RecordingPlans.create`. */
export type PlanCreation = { created: true; plan: RecordingPlan } | { created: false; plan: RecordingPlan };

/**
 * The outcome of `RecordingPlans.update`: whether the caller's change is what was written, and the
 * plan as stored afterwards (the caller's, or, when its change did not apply, the one it read last).
 */
export interface PlanUpdate {
  written: boolean;
  plan: RecordingPlan;
}

export interface RecordingPlans {
  /** Stores a new plan, unless one with its id exists: then that one is returned (plan once). */
  create(plan: RecordingPlan): Promise<PlanCreation>;
  get(planId: string): Promise<RecordingPlan | undefined>;
  /** The plans of those ids that exist, read at once (at most 1000 ids). */
  getMany(planIds: readonly string[]): Promise<Map<string, RecordingPlan>>;
  /**
   * Reads the plan, lets `change` decide, and writes what it returns, atomically: when another writer
   * got there first, `change` runs again on the newer plan. Returning undefined writes nothing
   * (`written: false`). Undefined when there is no plan.
   */
  update(
    planId: string,
    change: (plan: RecordingPlan) => RecordingPlan | undefined,
  ): Promise<PlanUpdate | undefined>;
  /** The most recently changed plans in that status, newest first (for the CRM admin). */
  withStatus(status: RecordingPlan['status'], limit: number): Promise<RecordingPlan[]>;
  /**
   * Plans not yet finished (neither deleted nor purged) whose purge time is at or before `now`, in
   * order of purge time then id; those after `after` (a plan of an earlier batch) when given.
   */
  overdue(now: Date, limit: number, after?: Pick<RecordingPlan, 'purgeAt' | 'id'>): Promise<RecordingPlan[]>;
}

/** Where the sweep's scan of each bucket stopped, kept between sweeps. */
export interface BucketScanCursors {
  get(bucket: string): Promise<BucketScanCursor | undefined>;
  save(bucket: string, cursor: BucketScanCursor): Promise<void>;
}
