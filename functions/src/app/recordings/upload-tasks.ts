import {
  crmRecordCheckAt,
  holdsClaim,
  mayBeInCrm,
  nextPartIndex,
  stepForPartTask,
  taskNameOf,
  withClaim,
  withoutClaim,
  stepForPurgeTask,
  withCrmRecord,
  withDeleted,
  withFailedAttempt,
  withPartUploaded,
  withPurged,
  type FailedAttemptFacts,
  type FailureCourse,
  type PlannedPart,
  type PurgeReason,
  type RecordingPlan,
  type TaskAttempt,
} from '../../domain/recordings/plan.js';
import { logs } from '../../log.js';
import { CrmError, type UploadOutcome } from '../../ports/crm.js';
import { ObjectGenerationGone } from '../../ports/recordings.js';
import { pausedSpansDescription } from './plan-recording.js';
import { DONE, type RecordingPipelineDeps, type RecordingsDeps, type TaskAnswer } from './deps.js';

export interface PartTask {
  planId: string;
  round: number;
  partIndex: number;
}

/**
 * How long one task goes on from part to part before it hands the rest to a new task. Well inside
 * the tasks' dispatch deadline (30 min), so that the queue never takes a task that is still working
 * for a lost one, and retries it beside itself.
 */
export const CONTINUE_FOR_MS = 5 * 60_000;

/**
 * One upload task: upload the part if it is the next one, in order (REC-5), then go on to the next
 * part in the same task, or delete the recording once the CRM has every part (REC-1). Going on in
 * the same task saves a queue hand-off per part; after CONTINUE_FOR_MS the next part gets a task of
 * its own.
 *
 * One worker per recording: the task claims the plan before it sends anything, and a task that
 * finds another's claim stops without reading a byte (a late announcement's task, a redelivery).
 * The claim is renewed with each acknowledgement and lapses after CLAIM_MS, so the plan of a worker
 * that died is taken over by its task's retry.
 *
 * Safe to run twice or late: a part the CRM acknowledged is not sent again, and a part whose send
 * was cut short (the plan marks it in flight) is looked up in the CRM before it is sent again
 * (REC-6). The next part starts streaming while the previous one's acknowledgement is written, and
 * is only acknowledged after it.
 */
export async function runPartTask(deps: RecordingsDeps, task: PartTask): Promise<TaskAnswer> {
  const startedAt = deps.clock.now().getTime();
  const me: TaskAttempt = { task: taskNameOf(task.round, task.partIndex), attempt: crypto.randomUUID() };
  let plan = await deps.plans.get(task.planId);
  if (!plan) return ignored(task.planId, 'unknown_plan');
  const latest = { plan };
  try {
    let partIndex = task.partIndex;
    for (;;) {
      const step = stepForPartTask(plan, task.round, partIndex, deps.clock.now(), me);
      switch (step.do) {
        case 'nothing':
          return ignored(plan.id, step.why);
        case 'wait_for_claim':
          // A wait, not an error (a 503 would slow the whole queue): this task comes back, under
          // its own name, when the claim lapses, and is done for now.
          await deps.tasks.schedulePartUpload(plan.id, task.round, task.partIndex, step.at);
          logs.recordingTaskIgnored({ planId: plan.id, why: 'claimed_by_another_delivery' });
          return DONE;
        case 'purge':
          return await purge(deps, plan, step.reason);
        case 'delete':
          return await deleteUploaded(deps, plan);
        case 'ask_next':
          // Carried on here, not asked of the queue: that part's task name may be spent already (a
          // late announcement's task that found a claim and stopped), and the queue refuses a
          // spent name for about an hour, which would leave the recording with no task at all.
          partIndex = step.partIndex;
          continue;
        case 'find_crm_record': {
          const found = await findCrmRecord(deps, plan);
          if ('outcome' in found) return found;
          plan = latest.plan = found;
          continue;
        }
        case 'upload': {
          if (!holdsClaim(plan, me, deps.clock.now())) {
            const claim = await deps.plans.update(plan.id, (p) => withClaim(p, me, deps.clock.now()));
            if (!claim) return ignored(task.planId, 'unknown_plan');
            plan = latest.plan = claim.plan;
            // Not written: decide again on what is stored (another worker's claim, a plan moved on).
            continue;
          }
          const sent = await sendParts(deps, plan, step.part, me, startedAt, latest);
          if ('outcome' in sent) return sent;
          plan = sent.plan;
          partIndex = nextPartIndex(plan);
        }
      }
    }
  } finally {
    // Whatever ended the task (a failure answered, an error thrown), its retry, or any other task,
    // may take the plan at once. Should this write fail too, the claim lapses.
    if (holdsClaim(latest.plan, me, deps.clock.now()))
      await deps.plans
        .update(task.planId, (p) => withoutClaim(p, me, deps.clock.now()))
        .catch(() => undefined);
  }
}

/** The purge task scheduled at a plan's purge time (REC-3). */
export async function runPurgeTask(deps: RecordingsDeps, planId: string): Promise<TaskAnswer> {
  const plan = await deps.plans.get(planId);
  if (!plan) return ignored(planId, 'unknown_plan');
  const step = stepForPurgeTask(plan, deps.clock.now());
  switch (step.do) {
    case 'nothing':
      return ignored(plan.id, step.why);
    case 'delete':
      return deleteUploaded(deps, plan);
    case 'wait':
      // Not an error: the purge comes back at its time, and this task is done.
      await deps.tasks.schedulePurgeAgain(plan.id, step.at);
      logs.recordingPurgeNotDue({ planId: plan.id, dueAt: step.at.toISOString() });
      return DONE;
    case 'purge':
      return purge(deps, plan, 'deadline');
  }
}

type Sent = { outcome: UploadOutcome } | { error: unknown };

/**
 * One part to the CRM, its bytes from `body`; failures come back as values, so a send can run
 * beside a write.
 */
function send(
  deps: RecordingsDeps,
  plan: RecordingPlan,
  part: PlannedPart,
  me: TaskAttempt,
  body: AsyncIterable<Uint8Array>,
): Promise<Sent> {
  const { bucket, name, generation } = plan.object;
  const range = { start: part.start, end: part.end };
  try {
    return deps
      .crm()
      .uploadPart({
        recordingId: plan.id,
        partIndex: part.index,
        partCount: plan.parts.length,
        crmRecordId: plan.crm!.recordId,
        fileName: plan.fileName,
        sizeBytes: part.sizeBytes,
        ...(plan.crmDescription ? { description: plan.crmDescription } : {}),
        mayBeThere: mayBeInCrm(part, me),
        // The CRM adapter counts the bytes as they go and never completes an upload of another size;
        // it hashes them too, and that MD5 goes on the plan. The read starts when the adapter reads,
        // unless it was begun ahead (PartReads).
        body,
        reread: () => deps.blobs.read(bucket, name, generation, range),
      })
      .then(
        (outcome) => ({ outcome }),
        (error: unknown) => ({ error }),
      );
  } catch (error) {
    return Promise.resolve({ error });
  }
}

/**
 * Sends parts from `first` on, in order, while this worker holds the plan: each acknowledgement is
 * written while the next part streams (its write also renews the claim and marks the next part in
 * flight), and each part's read is begun while the part before it is sent. Ends with the plan as stored once this worker stops (every part acknowledged, time to
 * hand over, or the claim lost), or with what to tell the queue.
 */
async function sendParts(
  deps: RecordingsDeps,
  claimed: RecordingPlan,
  first: PlannedPart,
  me: TaskAttempt,
  startedAt: number,
  latest: { plan: RecordingPlan },
): Promise<TaskAnswer | { plan: RecordingPlan }> {
  const reads = new PartReads(deps, claimed, me);
  try {
    return await sendInOrder(deps, claimed, first, me, startedAt, latest, reads);
  } finally {
    reads.drop();
  }
}

async function sendInOrder(
  deps: RecordingsDeps,
  claimed: RecordingPlan,
  first: PlannedPart,
  me: TaskAttempt,
  startedAt: number,
  latest: { plan: RecordingPlan },
  reads: PartReads,
): Promise<TaskAnswer | { plan: RecordingPlan }> {
  let plan = claimed;
  let part = first;
  let sending = send(deps, plan, part, me, reads.take(part));
  for (;;) {
    const sent = await sending;
    if ('error' in sent) return failedSend(deps, plan, part, sent.error);
    const { outcome } = sent;
    const following = plan.parts[part.index + 1];
    const handOver = deps.clock.now().getTime() - startedAt >= CONTINUE_FOR_MS;
    const next = following && !handOver ? following : undefined;
    // REC-5: the next part may reach the CRM now (this one is there), but is acknowledged after it.
    const nextSending = next ? send(deps, plan, next, me, reads.take(next)) : undefined;
    let acknowledged;
    try {
      acknowledged = await deps.plans.update(plan.id, (p) =>
        withPartUploaded(
          p,
          part.index,
          {
            contentVersionId: outcome.contentVersionId,
            outcome: outcome.status,
            md5Base64: outcome.md5Base64,
            calls: outcome.calls,
          },
          deps.clock.now(),
          next ? { me, sendingNext: next.index } : { me, release: true },
        ),
      );
    } catch (error) {
      // The part after stays marked as it was: the next attempt looks it up if it may have landed.
      await nextSending;
      throw error;
    }
    // The org's API usage (Sforce-Limit-Info) goes with each part: the CRM admin sees the quota coming.
    const usage = outcome.apiUsage;
    logs.recordingPartUploaded({
      planId: plan.id,
      partIndex: part.index,
      partCount: plan.parts.length,
      outcome: outcome.status,
      ...(usage ? { crmApiUsed: usage.used, crmApiMax: usage.max } : {}),
    });
    if (!acknowledged) {
      await nextSending;
      return ignored(plan.id, 'unknown_plan');
    }
    plan = latest.plan = acknowledged.plan;
    // Purged (or finished by another worker) while this part was on its way: nothing is left to send.
    if (plan.status !== 'uploading') {
      await nextSending;
      return { plan };
    }
    if (!next || !holdsClaim(plan, me, deps.clock.now())) {
      // Lost to a worker that took over a lapsed claim: it owns what this send leaves (the key).
      await nextSending;
      if (next) return ignored(plan.id, 'another_worker');
      if (handOver) {
        // A name of its own (its due time in it): the part's plain task name may be spent already.
        await deps.tasks.schedulePartUpload(plan.id, plan.round, nextPartIndex(plan), deps.clock.now());
        return DONE;
      }
      return { plan };
    }
    part = next;
    sending = nextSending!;
  }
}

/**
 * The reads of a worker's parts, each begun as the part before it starts its send: the next GET's
 * round trip and first bytes are then ready when the CRM answers, not on the way between two
 * parts. At most one read is ahead, waiting with backpressure (a socket's buffers, not a part).
 */
class PartReads {
  private ahead: { index: number; body: AsyncIterable<Uint8Array> } | undefined;

  constructor(
    private readonly deps: RecordingsDeps,
    private readonly plan: RecordingPlan,
    private readonly me: TaskAttempt,
  ) {}

  /** The bytes of `part`, read ahead if they were; the read of the part after it begins now. */
  take(part: PlannedPart): AsyncIterable<Uint8Array> {
    const ahead = this.ahead?.index === part.index ? this.ahead.body : undefined;
    this.drop(ahead);
    const body = ahead ?? this.read(part, false);
    const following = this.plan.parts[part.index + 1];
    // A part that may be in the CRM already is looked up first, and its bytes perhaps never read.
    if (following && !mayBeInCrm(following, this.me))
      this.ahead = { index: following.index, body: this.read(following, true) };
    return body;
  }

  /** Ends the read ahead, unless it is `kept`: its part will not be sent by this worker. */
  drop(kept?: AsyncIterable<Uint8Array>): void {
    const body = this.ahead?.body;
    this.ahead = undefined;
    if (body && body !== kept) destroyRead(body);
  }

  private read(part: PlannedPart, startNow: boolean) {
    const { bucket, name, generation } = this.plan.object;
    return this.deps.blobs.read(bucket, name, generation, { start: part.start, end: part.end }, { startNow });
  }
}

/** Stops a read and its download (a Node stream), or ends an iterator. */
function destroyRead(body: AsyncIterable<Uint8Array>): void {
  const stream = body as { destroy?: () => void };
  if (typeof stream.destroy === 'function') stream.destroy();
  else void body[Symbol.asyncIterator]().return?.();
}

/** What a failed send leaves on the plan, and tells the queue. */
function failedSend(deps: RecordingsDeps, plan: RecordingPlan, part: PlannedPart, error: unknown) {
  if (error instanceof ObjectGenerationGone)
    return failed(
      deps,
      plan,
      { partIndex: part.index, kind: 'object_gone', reason: 'object_gone' },
      'permanent',
      { outcomeKnown: true },
    );
  if (error instanceof CrmError)
    return failed(
      deps,
      plan,
      { partIndex: part.index, kind: error.kind, reason: error.reason },
      error.course,
      { outcomeKnown: error.outcomeKnown, ...(error.calls ? { calls: error.calls } : {}) },
      error,
    );
  // Anything else (Storage briefly unavailable, say): the queue retries.
  throw error;
}

async function failed(
  deps: RecordingsDeps,
  plan: RecordingPlan,
  failure: { partIndex: number; kind: string; reason: string },
  course: FailureCourse,
  facts: FailedAttemptFacts,
  error?: CrmError,
): Promise<TaskAnswer> {
  const after = (
    await deps.plans.update(plan.id, (p) => withFailedAttempt(p, failure, course, deps.clock.now(), facts))
  )?.plan;
  const fields = {
    planId: plan.id,
    partCount: plan.parts.length,
    ...failure,
    attempts: after?.lastFailure?.attempts ?? 1,
    crmRecordId: plan.crm?.recordId,
  };
  // Failed for good: at once, or a failure that may heal did not within its budget.
  if (course === 'permanent' || after?.status === 'failed') {
    logs.recordingUploadFailed(fields);
    return DONE;
  }
  logs.recordingUploadWillRetry({ ...fields, retryAfterSeconds: error?.retryAfterSeconds });
  return {
    outcome: 'retry',
    slowDown: error?.kind === 'limit_reached',
    ...(error?.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
    reason: failure.reason,
  };
}

/** The plan with its CRM record, or what to tell the queue when there is none (yet). */
async function findCrmRecord(deps: RecordingsDeps, plan: RecordingPlan): Promise<RecordingPlan | TaskAnswer> {
  const crm = plan.sessionId ? (await deps.sessions.getSession(plan.sessionId))?.crm : undefined;
  if (crm && crm.system !== 'salesforce') {
    const partIndex = nextPartIndex(plan);
    return failed(deps, plan, { partIndex, kind: 'permanent', reason: 'crm_not_supported' }, 'permanent', {
      outcomeKnown: true,
    });
  }
  if (!crm) {
    // A wait, not an error: the task that looks again is scheduled, and this one is done.
    const at = crmRecordCheckAt(plan, deps.clock.now());
    await deps.tasks.schedulePartUpload(plan.id, plan.round, nextPartIndex(plan), at);
    logs.recordingWaitingForCrmRecord({
      planId: plan.id,
      sessionKnown: plan.sessionId !== null,
      nextCheckAt: at.toISOString(),
    });
    return DONE;
  }
  const description = await pausedSpansDescription(deps, plan.sessionId!);
  const linked = await deps.plans.update(plan.id, (p) =>
    withCrmRecord(p, { system: 'salesforce', recordId: crm.recordId }, deps.clock.now(), description),
  );
  return linked?.plan ?? { ...plan, crm: { system: 'salesforce', recordId: crm.recordId } };
}

/** REC-1: every part acknowledged, so the recording goes, that generation only. */
export async function deleteUploaded(deps: RecordingPipelineDeps, plan: RecordingPlan): Promise<TaskAnswer> {
  const { bucket, name, generation } = plan.object;
  const result = await deps.blobs.delete(bucket, name, generation);
  await deps.plans.update(plan.id, (p) => withDeleted(p, deps.clock.now()));
  logs.recordingDeleted({ planId: plan.id, partCount: plan.parts.length, objectWas: result });
  return DONE;
}

/**
 * REC-3: the recording is deleted whatever became of its upload, and the plan says so, with how
 * many parts the CRM did get, for the CRM admin.
 */
export async function purge(
  deps: RecordingPipelineDeps,
  plan: RecordingPlan,
  reason: PurgeReason,
): Promise<TaskAnswer> {
  const { bucket, name, generation } = plan.object;
  const result = await deps.blobs.delete(bucket, name, generation);
  const update = await deps.plans.update(plan.id, (p) => withPurged(p, reason, deps.clock.now()));
  // Logged by the call that purged it, once, not by every repeat of the task.
  if (!update?.written) return DONE;
  const after = update.plan;
  if (after.status === 'purged' && after.purge)
    logs.recordingPurged({
      planId: plan.id,
      reason: after.purge.reason,
      partsAcknowledged: after.purge.partsAcknowledged,
      partCount: after.purge.partCount,
      crmRecordId: after.crm?.recordId,
      objectWas: result,
    });
  else if (after.status === 'deleted')
    logs.recordingDeleted({ planId: plan.id, partCount: plan.parts.length, objectWas: result });
  return DONE;
}

function ignored(planId: string, why: string): TaskAnswer {
  logs.recordingTaskIgnored({ planId, why });
  return DONE;
}
