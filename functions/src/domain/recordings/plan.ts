import { z } from 'zod';

/**
 * A recording's upload plan (REC-1 … REC-6): which bytes go to the CRM as which part, what has been
 * acknowledged, and when the recording must be gone whatever happens. Pure: time comes in as `now`.
 */

/** "MB" is 10^6 bytes, the smaller reading of REC-5 (docs/recordings.md says why): 70 MB → 50 + 20 MB. */
export const MEGABYTE = 1_000_000;
export const PART_SIZE_BYTES = 50 * MEGABYTE;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** REC-3: a recording is never kept more than 7 days after it was written. */
export const RETENTION_MS = 7 * DAY_MS;
/**
 * Uploads stop and the purge starts this long before the 7 days are up, so that a purge which fails
 * has a day of retries (its task's and the hourly sweep's) before the limit.
 */
export const PURGE_MARGIN_MS = DAY_MS;

export interface PartRange {
  index: number;
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive (as Cloud Storage ranges are); `start - 1` for an empty part. */
  end: number;
  sizeBytes: number;
}

/** Consecutive parts of `partSizeBytes`, the last one shorter; none for an empty recording. */
export function splitIntoParts(sizeBytes: number, partSizeBytes = PART_SIZE_BYTES): PartRange[] {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) throw new RangeError('size must be a byte count');
  if (!Number.isSafeInteger(partSizeBytes) || partSizeBytes < 1)
    throw new RangeError('part size must be a positive byte count');
  const parts: PartRange[] = [];
  for (let start = 0; start < sizeBytes; start += partSizeBytes) {
    const size = Math.min(partSizeBytes, sizeBytes - start);
    parts.push({ index: parts.length, start, end: start + size - 1, sizeBytes: size });
  }
  return parts;
}

export interface CrmRecordRef {
  system: 'salesforce';
  recordId: string;
}

export interface UploadedPart {
  at: string;
  /** The CRM's id of the file (a Salesforce ContentVersion id). */
  contentVersionId: string;
  /** `already_there`: a repeat found the part in the CRM and did not send it again. */
  outcome: 'uploaded' | 'already_there';
}

export interface PlannedPart extends PartRange {
  /**
   * MD5 of the part's bytes, base64, from the moment the CRM acknowledged it; null before. Hashed
   * as the bytes were read from the bucket and sent, or, for a part the CRM already held, read again
   * and found equal to the CRM's checksum. A plan is made from the object's size alone (why parts
   * are not hashed up front: docs/recordings.md).
   */
  md5Base64: string | null;
  uploaded: UploadedPart | null;
  /**
   * A send of this part began (which attempt, when) and its outcome is not recorded: the CRM may
   * hold the part, so another attempt looks it up before sending it. Absent on older plans.
   */
  inFlight?: { since: string; attempt: string } | null;
}

/**
 * Which task is working through a plan's parts. One worker at a time: a task that finds another's
 * live claim does not send anything. The claim lapses at `until` unless renewed (as each part is
 * acknowledged), so that the plan of a worker that died resumes.
 */
export interface WorkerClaim {
  /** The task that holds it (`r<round>-p<part>`): the queue delivers a failed task again under that name. */
  task: string;
  /** One delivery of that task. */
  attempt: string;
  until: string;
}

/** CRM API requests made for a recording, in total: what it cost of the org's daily allowance. */
export interface CrmCalls {
  logins: number;
  lookups: number;
  inserts: number;
}

export const NO_CRM_CALLS: CrmCalls = { logins: 0, lookups: 0, inserts: 0 };

/**
 * How long a claim lasts without renewal: one part's send and its acknowledgement (a task goes on to
 * new parts for CONTINUE_FOR_MS, 5 minutes), well inside the tasks' 30-minute dispatch deadline.
 */
export const CLAIM_MS = 10 * 60_000;

/**
 * - `uploading`: parts remain to be acknowledged;
 * - `uploaded`: the CRM acknowledged every part, the object is still to be deleted;
 * - `deleted`: done (REC-1);
 * - `failed`: a permanent CRM failure, recorded and alerted; the recording waits for an admin to
 *   retry it, or for its purge;
 * - `purged`: deleted before the CRM had every part, because the 7 days were up (REC-3, REC-6);
 * - `empty`: a 0-byte recording: nothing for the CRM, the object is deleted when it is planned.
 */
export type PlanStatus = 'uploading' | 'uploaded' | 'deleted' | 'failed' | 'purged' | 'empty';
export const PLAN_STATUSES = ['uploading', 'uploaded', 'deleted', 'failed', 'purged', 'empty'] as const;

export type PurgeReason =
  /** The purge time came before every part was acknowledged. */
  | 'deadline'
  /** An object of the bucket that no plan accounts for, found by the sweep. */
  | 'orphaned_object';

export interface AttemptFailure {
  at: string;
  partIndex: number;
  /** A CRM failure kind (REC-2), or `object_gone` when the recording vanished from the bucket. */
  kind: string;
  reason: string;
  /** Failed attempts in a row at this part for this reason, this one included. */
  attempts: number;
}

export interface RecordingPlan {
  /** Derived from the object (see planIdFor): the same object always gets the same plan. */
  id: string;
  object: { bucket: string; name: string; generation: string; sizeBytes: number; contentType?: string };
  /** The call the recording belongs to, when known; the CRM record is found through it. */
  sessionId: string | null;
  /** The platform's id for the recording, when known. */
  recordingId: string | null;
  /** Shown in the CRM, with the part number: "call-1.wav (part 1 of 2)". */
  fileName: string;
  /** Null until the call's CRM record is known (the platform may link it after the recording). */
  crm: CrmRecordRef | null;
  partSizeBytes: number;
  parts: PlannedPart[];
  /** Bumped when an admin retries a failed upload, so that its tasks are new ones. */
  round: number;
  status: PlanStatus;
  /** When the object was written: the 7 days run from here. */
  objectCreatedAt: string;
  plannedAt: string;
  /** Uploads stop and the purge runs from here. */
  purgeAt: string;
  /** The recording is gone by then, whatever happened (REC-3). */
  deadline: string;
  updatedAt: string;
  lastFailure: AttemptFailure | null;
  /** Set when the status is `failed`. */
  failure: AttemptFailure | null;
  deletedAt: string | null;
  purge: { at: string; reason: PurgeReason; partsAcknowledged: number; partCount: number } | null;
  /** The worker working through the parts now, if any (absent on plans made before claims). */
  worker?: WorkerClaim | null;
  /** Absent on plans made before they were counted. */
  crmCalls?: CrmCalls;
  /**
   * Said beside each part in the CRM: the spans of the call its recording was paused for redaction
   * (SMA-1). Absent when it never was.
   */
  crmDescription?: string;
}

export interface PlanInput {
  object: RecordingPlan['object'];
  objectCreatedAt: Date;
  sessionId: string | null;
  recordingId: string | null;
  crm: CrmRecordRef | null;
  partSizeBytes: number;
  crmDescription?: string | null;
}

export function newPlan(input: PlanInput, now: Date): RecordingPlan {
  const ranges = splitIntoParts(input.object.sizeBytes, input.partSizeBytes);
  const created = input.objectCreatedAt.getTime();
  const deadline = created + RETENTION_MS;
  return {
    id: planIdFor(input.object),
    object: input.object,
    sessionId: input.sessionId,
    recordingId: input.recordingId,
    fileName: fileNameOf(input.object.name),
    crm: input.crm,
    partSizeBytes: input.partSizeBytes,
    parts: ranges.map((range) => ({ ...range, md5Base64: null, uploaded: null, inFlight: null })),
    round: 0,
    // An empty recording has nothing for the CRM: it is deleted as soon as it is planned.
    status: ranges.length === 0 ? 'empty' : 'uploading',
    objectCreatedAt: new Date(created).toISOString(),
    plannedAt: now.toISOString(),
    purgeAt: new Date(deadline - PURGE_MARGIN_MS).toISOString(),
    deadline: new Date(deadline).toISOString(),
    updatedAt: now.toISOString(),
    lastFailure: null,
    failure: null,
    deletedAt: ranges.length === 0 ? now.toISOString() : null,
    purge: null,
    worker: null,
    crmCalls: NO_CRM_CALLS,
    ...(input.crmDescription ? { crmDescription: input.crmDescription } : {}),
  };
}

/** When a recording written at `createdAt` must be purged if it is still here. */
export const purgeTimeFor = (createdAt: Date) =>
  new Date(createdAt.getTime() + RETENTION_MS - PURGE_MARGIN_MS);

export const isFinished = (plan: RecordingPlan) =>
  plan.status === 'deleted' || plan.status === 'purged' || plan.status === 'empty';

export const partsAcknowledged = (plan: RecordingPlan) => plan.parts.filter((p) => p.uploaded).length;

/** The first part the CRM has not acknowledged; `parts.length` when it has them all. */
export const nextPartIndex = (plan: RecordingPlan) => {
  const index = plan.parts.findIndex((p) => !p.uploaded);
  return index === -1 ? plan.parts.length : index;
};

// ------------------------------------------------------------------------------------------------
// Identity

/** 64-bit FNV-1a, hex: a stable, dependency-free fingerprint of an object's name (not a secret). */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

const fileNameOf = (objectName: string) => objectName.slice(objectName.lastIndexOf('/') + 1) || objectName;

/** What planIdFor makes: what a task or a route may name as a plan. */
export const PlanId = z.string().regex(/^[A-Za-z0-9-]{1,200}$/, 'must be a recording id');

/**
 * The plan id of one generation of an object: readable (the file's name), unique (a fingerprint of
 * the bucket and full name, and the generation), and usable as a Firestore id, a task name and a CRM
 * key. Both ways a recording is announced (the bucket's finalize event, the platform's event) lead to
 * the same id, which is what makes the plan, and so the upload, happen once.
 */
export function planIdFor(object: { bucket: string; name: string; generation: string }): string {
  const stem = fileNameOf(object.name)
    .replace(/\.[^.]*$/, '')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
  return `${stem ? `${stem}-` : ''}${fnv1a64(`${object.bucket}/${object.name}`)}-${object.generation}`;
}

// ------------------------------------------------------------------------------------------------
// What a task should do

export type PartTaskStep =
  | { do: 'upload'; part: PlannedPart }
  /** The task's part is already acknowledged: make sure the next one is asked for. */
  | { do: 'ask_next'; partIndex: number }
  | { do: 'delete' }
  | { do: 'purge'; reason: 'deadline' }
  /** The call's CRM record is not known yet. */
  | { do: 'find_crm_record'; part: PlannedPart }
  /**
   * Another delivery of this very task holds the plan: a retry of an attempt that died, or a
   * duplicate of one still running; which, only the claim's lapse tells.
   */
  | { do: 'wait_for_claim'; at: Date }
  | {
      do: 'nothing';
      why: 'finished' | 'failed' | 'stale_round' | 'out_of_order' | 'another_worker';
    };

/** One delivery of a part task: the task's name within its plan, and this attempt at it. */
export interface TaskAttempt {
  task: string;
  attempt: string;
}

export const taskNameOf = (round: number, partIndex: number) => `r${round}-p${partIndex}`;

/** The claim on the plan of a worker other than `me`, while it lasts. */
export function liveClaimOfAnother(plan: RecordingPlan, me: TaskAttempt, now: Date): WorkerClaim | undefined {
  const claim = plan.worker;
  if (!claim || claim.attempt === me.attempt || Date.parse(claim.until) <= now.getTime()) return undefined;
  return claim;
}

/** The one decision behind an upload task, for a task that may be late, repeated or stale. */
export function stepForPartTask(
  plan: RecordingPlan,
  round: number,
  partIndex: number,
  now: Date,
  me: TaskAttempt,
): PartTaskStep {
  if (isFinished(plan)) return { do: 'nothing', why: 'finished' };
  // Every part acknowledged: deleting is all that is left, before or after the purge time.
  if (plan.status === 'uploaded') return { do: 'delete' };
  if (now.getTime() >= Date.parse(plan.purgeAt)) return { do: 'purge', reason: 'deadline' };
  if (plan.status === 'failed') return { do: 'nothing', why: 'failed' };
  if (round !== plan.round) return { do: 'nothing', why: 'stale_round' };
  // Before anything is asked of the queue: a worker that died holding the plan is only seen again
  // through its own task's retry, which must wait for the claim to lapse, not hand the plan on to a
  // task that would find the claim and stop.
  const other = liveClaimOfAnother(plan, me, now);
  if (other?.task === me.task) return { do: 'wait_for_claim', at: new Date(other.until) };
  if (other) return { do: 'nothing', why: 'another_worker' };
  const next = nextPartIndex(plan);
  if (partIndex < next) return { do: 'ask_next', partIndex: next };
  if (partIndex > next) return { do: 'nothing', why: 'out_of_order' };
  const part = plan.parts[next]!;
  return plan.crm ? { do: 'upload', part } : { do: 'find_crm_record', part };
}

export type PurgeTaskStep =
  | { do: 'purge' }
  | { do: 'delete' }
  | { do: 'nothing'; why: 'finished' }
  /** Delivered before its time (a clock moved back): a purge task is due again `at`. */
  | { do: 'wait'; at: Date };

/**
 * A purge delivered early comes back at the purge time, and at least this long after `now`: a task
 * is due at a whole second, so one whose clock runs slightly behind the queue's asks for a later
 * second (a new task) rather than for itself again.
 */
const EARLY_PURGE_MIN_WAIT_MS = 60_000;

export function stepForPurgeTask(plan: RecordingPlan, now: Date): PurgeTaskStep {
  if (isFinished(plan)) return { do: 'nothing', why: 'finished' };
  if (plan.status === 'uploaded') return { do: 'delete' };
  const purgeAt = Date.parse(plan.purgeAt);
  if (purgeAt <= now.getTime()) return { do: 'purge' };
  const at = Math.max(purgeAt, now.getTime() + EARLY_PURGE_MIN_WAIT_MS);
  return { do: 'wait', at: new Date(Math.ceil(at / 1000) * 1000) };
}

const MINUTE_MS = 60_000;

/**
 * When a part task waiting for the call's CRM record looks again: every 5 minutes for the first
 * hour after planning, every 30 minutes until 6 hours, then hourly; never after the purge time.
 * The times sit on a grid (whole multiples of the interval since the epoch, each interval dividing
 * the next), so tasks that wait for the same part, a repeat among them, ask for the same time, and
 * the task name made from it keeps them one. Rounding to the nearest grid line, not the next, keeps
 * a task that runs a little before its time (clocks differ) from asking for its own time again.
 */
export function crmRecordCheckAt(plan: Pick<RecordingPlan, 'plannedAt' | 'purgeAt'>, now: Date): Date {
  const age = now.getTime() - Date.parse(plan.plannedAt);
  const interval = age < HOUR_MS ? 5 * MINUTE_MS : age < 6 * HOUR_MS ? 30 * MINUTE_MS : HOUR_MS;
  const next = (Math.round(now.getTime() / interval) + 1) * interval;
  return new Date(Math.min(next, Date.parse(plan.purgeAt)));
}

// ------------------------------------------------------------------------------------------------
// Changes. Each returns undefined when the plan must not change (a repeat, or a change overtaken).

/**
 * Links the call's CRM record, with what the CRM's copy says beside each part (`crmDescription`, read
 * with it): no part was sent before, so the parts all say the same.
 */
export function withCrmRecord(
  plan: RecordingPlan,
  crm: CrmRecordRef,
  now: Date,
  crmDescription: string | null = null,
): RecordingPlan | undefined {
  if (plan.crm) return undefined;
  const { crmDescription: _before, ...rest } = plan;
  return { ...rest, crm, ...(crmDescription ? { crmDescription } : {}), updatedAt: now.toISOString() };
}

/** Fills in what the platform's event knows and the bucket's did not. */
export function withSession(
  plan: RecordingPlan,
  known: { sessionId: string | null; recordingId: string | null },
  now: Date,
): RecordingPlan | undefined {
  const sessionId = plan.sessionId ?? known.sessionId;
  const recordingId = plan.recordingId ?? known.recordingId;
  if (sessionId === plan.sessionId && recordingId === plan.recordingId) return undefined;
  return { ...plan, sessionId, recordingId, updatedAt: now.toISOString() };
}

const claimUntil = (now: Date) => new Date(now.getTime() + CLAIM_MS).toISOString();

const addCalls = (a: CrmCalls | undefined, b: CrmCalls): CrmCalls => {
  const base = a ?? NO_CRM_CALLS;
  return {
    logins: base.logins + b.logins,
    lookups: base.lookups + b.lookups,
    inserts: base.inserts + b.inserts,
  };
};

/** An earlier attempt's mark is kept: whoever sends the part next must look it up first. */
const markInFlight = (parts: PlannedPart[], partIndex: number | undefined, me: TaskAttempt, now: Date) =>
  parts.map((p) =>
    p.index === partIndex && !p.uploaded && !p.inFlight
      ? { ...p, inFlight: { since: now.toISOString(), attempt: me.attempt } }
      : p,
  );

/** The CRM may already hold the part: a send of it by another attempt began and did not end. */
export const mayBeInCrm = (part: PlannedPart, me: TaskAttempt) =>
  !!part.inFlight && part.inFlight.attempt !== me.attempt;

/**
 * `me` takes the plan to send its next part, marked in flight in the same write: a crash from here
 * on leaves the part's outcome unknown, and the next attempt looks it up. Undefined while another
 * worker's claim lasts, or when there is nothing to send.
 */
export function withClaim(plan: RecordingPlan, me: TaskAttempt, now: Date): RecordingPlan | undefined {
  if (plan.status !== 'uploading' || liveClaimOfAnother(plan, me, now)) return undefined;
  return {
    ...plan,
    parts: markInFlight(plan.parts, nextPartIndex(plan), me, now),
    worker: { ...me, until: claimUntil(now) },
    updatedAt: now.toISOString(),
  };
}

/** `me` lets go of the plan (its task ends, or hands the next part to a new one). */
export function withoutClaim(plan: RecordingPlan, me: TaskAttempt, now: Date): RecordingPlan | undefined {
  if (plan.worker?.attempt !== me.attempt) return undefined;
  return { ...plan, worker: null, updatedAt: now.toISOString() };
}

export const holdsClaim = (plan: RecordingPlan, me: TaskAttempt, now: Date) =>
  plan.worker?.attempt === me.attempt && Date.parse(plan.worker.until) > now.getTime();

/** What a worker does with the plan once a part is acknowledged. */
export interface AfterAcknowledgement {
  me: TaskAttempt;
  /** The part it sends next, marked in flight in the same write; none when it stops here. */
  sendingNext?: number;
  /** It stops here: its claim goes in the same write. */
  release?: boolean;
}

/**
 * The CRM acknowledged a part, after `calls` CRM API requests: recorded once, whoever records it (a
 * repeat of an earlier attempt that reached the CRM records it too). The worker's own claim is
 * renewed with it (or released), and the part it sends next is marked in flight, in the same write.
 * Undefined when nothing changes.
 */
export function withPartUploaded(
  plan: RecordingPlan,
  partIndex: number,
  { md5Base64, calls, ...upload }: Omit<UploadedPart, 'at'> & { md5Base64: string; calls?: CrmCalls },
  now: Date,
  worker?: AfterAcknowledgement,
): RecordingPlan | undefined {
  const part = plan.parts[partIndex];
  if (!part || isFinished(plan)) return undefined;
  // A claim that lapsed while the part was on its way (a slow CRM), and that nobody took, is kept:
  // stopping would leave the plan to nobody.
  const mine = worker !== undefined && !liveClaimOfAnother(plan, worker.me, now);
  if (part.uploaded && !mine) return undefined;
  let parts = part.uploaded
    ? plan.parts
    : plan.parts.map((p) =>
        p.index === partIndex
          ? { ...p, md5Base64, uploaded: { ...upload, at: now.toISOString() }, inFlight: null }
          : p,
      );
  const all = parts.every((p) => p.uploaded);
  if (mine && !all && !worker.release) parts = markInFlight(parts, worker.sendingNext, worker.me, now);
  return {
    ...plan,
    parts,
    // A part acknowledged is acknowledged even when a permanent failure was recorded in between
    // (a repeat of an earlier attempt that did reach the CRM).
    status: all ? 'uploaded' : plan.status,
    ...(mine ? { worker: all || worker.release ? null : { ...worker.me, until: claimUntil(now) } } : {}),
    ...(calls && !part.uploaded ? { crmCalls: addCalls(plan.crmCalls, calls) } : {}),
    updatedAt: now.toISOString(),
  };
}

/**
 * How a failed attempt bears on the upload:
 * - `retry`: REC-2's cases, retried on the queue's schedule until the purge time;
 * - `may_heal`: a refusal that is nearly always a passing blip (a session refused just after its
 *   refresh, the token endpoint's `invalid_grant`, a read of the bucket that ended early) but would
 *   be permanent if it lasted (revoked credentials): retried like REC-2's cases, until
 *   HEALING_ATTEMPTS attempts in a row at the same part have failed for the same reason;
 * - `permanent`: recorded, and the upload waits for an admin.
 */
export type FailureCourse = 'retry' | 'may_heal' | 'permanent';

/**
 * The retry budget of a failure that may heal. On the recordings queue's schedule (10 s, doubling)
 * the 8th attempt comes about 21 minutes after the first: longer than a token endpoint's or a
 * session's blip, short enough that revoked credentials reach an admin the same hour.
 */
export const HEALING_ATTEMPTS = 8;

/** What a failed attempt learned besides its failure. */
export interface FailedAttemptFacts {
  /**
   * The CRM refused the part, or was never sent all of it: it holds nothing from this attempt, so the
   * part's in-flight mark goes and the next attempt sends it without a look-up. Otherwise (no answer)
   * the mark stays.
   */
  outcomeKnown?: boolean;
  /** The CRM API requests the attempt made before it failed: they count against the org's allowance too. */
  calls?: CrmCalls;
}

export function withFailedAttempt(
  plan: RecordingPlan,
  failure: Omit<AttemptFailure, 'at' | 'attempts'>,
  course: FailureCourse,
  now: Date,
  { outcomeKnown = false, calls }: FailedAttemptFacts = {},
): RecordingPlan | undefined {
  if (plan.status !== 'uploading') return undefined;
  const last = plan.lastFailure;
  const attempts =
    last && last.partIndex === failure.partIndex && last.reason === failure.reason
      ? (last.attempts ?? 1) + 1
      : 1;
  const recorded: AttemptFailure = { ...failure, attempts, at: now.toISOString() };
  const givesUp = course === 'permanent' || (course === 'may_heal' && attempts >= HEALING_ATTEMPTS);
  return {
    ...plan,
    ...(outcomeKnown
      ? {
          parts: plan.parts.map((p) =>
            p.index === failure.partIndex && p.inFlight ? { ...p, inFlight: null } : p,
          ),
        }
      : {}),
    ...(calls ? { crmCalls: addCalls(plan.crmCalls, calls) } : {}),
    lastFailure: recorded,
    ...(givesUp
      ? {
          status: 'failed' as const,
          // A failure that did not heal within its budget is permanent: that is what the admin sees.
          failure: course === 'may_heal' ? { ...recorded, kind: 'permanent' } : recorded,
        }
      : {}),
    updatedAt: now.toISOString(),
  };
}

/**
 * An admin's retry of a failed upload: a new round of tasks from the first part not acknowledged,
 * with a fresh retry budget.
 */
export function retried(plan: RecordingPlan, now: Date): RecordingPlan | undefined {
  if (plan.status !== 'failed' || now.getTime() >= Date.parse(plan.purgeAt)) return undefined;
  return {
    ...plan,
    status: 'uploading',
    failure: null,
    lastFailure: null,
    round: plan.round + 1,
    worker: null,
    updatedAt: now.toISOString(),
  };
}

export function withDeleted(plan: RecordingPlan, now: Date): RecordingPlan | undefined {
  if (plan.status !== 'uploaded') return undefined;
  return { ...plan, status: 'deleted', deletedAt: now.toISOString(), updatedAt: now.toISOString() };
}

export function withPurged(plan: RecordingPlan, reason: PurgeReason, now: Date): RecordingPlan | undefined {
  if (isFinished(plan)) return undefined;
  // The CRM got every part in the meantime: this is the deletion REC-1 asks for, not a forced purge.
  if (plan.status === 'uploaded') return withDeleted(plan, now);
  return {
    ...plan,
    status: 'purged',
    deletedAt: now.toISOString(),
    purge: {
      at: now.toISOString(),
      reason,
      partsAcknowledged: partsAcknowledged(plan),
      partCount: plan.parts.length,
    },
    updatedAt: now.toISOString(),
  };
}

/** The record of an object no plan accounted for, deleted by the sweep at its purge time. */
export function purgedOrphan(
  object: RecordingPlan['object'],
  objectCreatedAt: Date,
  now: Date,
): RecordingPlan {
  const plan = newPlan(
    {
      object: { ...object, sizeBytes: 0 },
      objectCreatedAt,
      sessionId: null,
      recordingId: null,
      crm: null,
      partSizeBytes: PART_SIZE_BYTES,
    },
    now,
  );
  return {
    ...plan,
    object,
    status: 'purged',
    deletedAt: now.toISOString(),
    purge: { at: now.toISOString(), reason: 'orphaned_object', partsAcknowledged: 0, partCount: 0 },
  };
}
