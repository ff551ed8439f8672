import {
  crmRecordCheckAt,
  nextPartIndex,
  stepForPartTask,
  stepForPurgeTask,
  withCrmRecord,
  withDeleted,
  withFailedAttempt,
  withPartUploaded,
  withPurged,
  type FailureCourse,
  type PlannedPart,
  type PurgeReason,
  type RecordingPlan,
} from '../../domain/recordings/plan.js';
import { logs } from '../../log.js';
import { CrmError } from '../../ports/crm.js';
import { ObjectGenerationGone } from '../../ports/recordings.js';
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
 * part in the same task once this one's acknowledgement is written, or delete the recording once the
 * CRM has every part (REC-1). Going on in the same task saves a queue hand-off per part; after
 * CONTINUE_FOR_MS the next part gets a task of its own.
 *
 * Safe to run twice or late: a part the CRM acknowledged is not sent again, and the CRM adapter
 * finds a part that landed without our knowing (a crash between its answer and our write) instead of
 * sending it again (REC-6). Of two tasks that upload the same part at once, only the one whose write
 * records the acknowledgement goes on.
 */
export async function runPartTask(deps: RecordingsDeps, task: PartTask): Promise<TaskAnswer> {
  const startedAt = deps.clock.now().getTime();
  let plan = await deps.plans.get(task.planId);
  if (!plan) return ignored(task.planId, 'unknown_plan');
  let partIndex = task.partIndex;
  for (;;) {
    const step = stepForPartTask(plan, task.round, partIndex, deps.clock.now());
    switch (step.do) {
      case 'nothing':
        return ignored(plan.id, step.why);
      case 'purge':
        return purge(deps, plan, step.reason);
      case 'delete':
        return deleteUploaded(deps, plan);
      case 'ask_next':
        await deps.tasks.enqueuePartUpload(plan.id, plan.round, step.partIndex);
        return DONE;
      case 'find_crm_record':
      case 'upload': {
        if (step.do === 'find_crm_record') {
          const found = await findCrmRecord(deps, plan);
          if ('outcome' in found) return found;
          plan = found;
        }
        const result = await upload(deps, plan, step.part);
        if ('outcome' in result) return result;
        const after = result.acknowledged;
        if (after.status !== 'uploading') {
          plan = after;
          continue;
        }
        partIndex = nextPartIndex(after);
        if (deps.clock.now().getTime() - startedAt >= CONTINUE_FOR_MS) {
          await deps.tasks.enqueuePartUpload(after.id, after.round, partIndex);
          return DONE;
        }
        plan = after;
      }
    }
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

/** Sends one part; the plan once its acknowledgement is written, or what to tell the queue. */
async function upload(
  deps: RecordingsDeps,
  plan: RecordingPlan,
  part: PlannedPart,
): Promise<TaskAnswer | { acknowledged: RecordingPlan }> {
  const { bucket, name, generation } = plan.object;
  const range = { start: part.start, end: part.end };
  let outcome;
  try {
    outcome = await deps.crm().uploadPart({
      recordingId: plan.id,
      partIndex: part.index,
      partCount: plan.parts.length,
      crmRecordId: plan.crm!.recordId,
      fileName: plan.fileName,
      sizeBytes: part.sizeBytes,
      // The CRM adapter counts the bytes as they go and never completes an upload of another size;
      // it hashes them too, and that MD5 goes on the plan. The read starts when the adapter reads.
      body: deps.blobs.read(bucket, name, generation, range),
      reread: () => deps.blobs.read(bucket, name, generation, range),
    });
  } catch (error) {
    if (error instanceof ObjectGenerationGone)
      return failed(
        deps,
        plan,
        { partIndex: part.index, kind: 'object_gone', reason: 'object_gone' },
        'permanent',
      );
    if (error instanceof CrmError)
      return failed(
        deps,
        plan,
        { partIndex: part.index, kind: error.kind, reason: error.reason },
        error.course,
        error,
      );
    // Anything else (Storage briefly unavailable, say): the queue retries.
    throw error;
  }
  const after = await deps.plans.update(plan.id, (p) =>
    withPartUploaded(
      p,
      part.index,
      {
        contentVersionId: outcome.contentVersionId,
        outcome: outcome.status,
        md5Base64: outcome.md5Base64,
      },
      deps.clock.now(),
    ),
  );
  // The org's API usage (Sforce-Limit-Info) goes with each part: the CRM admin sees the quota coming.
  const usage = outcome.apiUsage;
  logs.recordingPartUploaded({
    planId: plan.id,
    partIndex: part.index,
    partCount: plan.parts.length,
    outcome: outcome.status,
    ...(usage ? { crmApiUsed: usage.used, crmApiMax: usage.max } : {}),
  });
  // Another task recorded it first (it uploaded the same part at the same time): that one goes on.
  return after ? { acknowledged: after } : DONE;
}

async function failed(
  deps: RecordingsDeps,
  plan: RecordingPlan,
  failure: { partIndex: number; kind: string; reason: string },
  course: FailureCourse,
  error?: CrmError,
): Promise<TaskAnswer> {
  const after = await deps.plans.update(plan.id, (p) =>
    withFailedAttempt(p, failure, course, deps.clock.now()),
  );
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
    return failed(deps, plan, { partIndex, kind: 'permanent', reason: 'crm_not_supported' }, 'permanent');
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
  const linked = await deps.plans.update(plan.id, (p) =>
    withCrmRecord(p, { system: 'salesforce', recordId: crm.recordId }, deps.clock.now()),
  );
  return linked ?? { ...plan, crm: { system: 'salesforce', recordId: crm.recordId } };
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
  let purgedNow = false;
  const after = await deps.plans.update(plan.id, (p) => {
    const next = withPurged(p, reason, deps.clock.now());
    purgedNow = next !== undefined;
    return next;
  });
  // Logged by the call that purged it, once, not by every repeat of the task.
  if (!purgedNow) return DONE;
  if (after?.status === 'purged' && after.purge)
    logs.recordingPurged({
      planId: plan.id,
      reason: after.purge.reason,
      partsAcknowledged: after.purge.partsAcknowledged,
      partCount: after.purge.partCount,
      crmRecordId: after.crm?.recordId,
      objectWas: result,
    });
  else if (after?.status === 'deleted')
    logs.recordingDeleted({ planId: plan.id, partCount: plan.parts.length, objectWas: result });
  return DONE;
}

function ignored(planId: string, why: string): TaskAnswer {
  logs.recordingTaskIgnored({ planId, why });
  return DONE;
}
