import type { Actor } from '../../domain/access/permissions.js';
import { conflict, notFound } from '../../domain/errors.js';
import {
  NO_CRM_CALLS,
  retried,
  partsAcknowledged,
  type RecordingPlan,
} from '../../domain/recordings/plan.js';
import { authorizeOrThrow } from '../supervision/deps.js';
import type { RecordingPipelineDeps } from './deps.js';
import { askForTasks } from './plan-recording.js';

/** What the CRM admin sees of a recording: where it stands, and why when it went wrong. */
export function recordingSummary(plan: RecordingPlan) {
  return {
    id: plan.id,
    status: plan.status,
    sessionId: plan.sessionId,
    crmRecordId: plan.crm?.recordId ?? null,
    fileName: plan.fileName,
    sizeBytes: plan.object.sizeBytes,
    parts: plan.parts.map((p) => ({
      index: p.index,
      sizeBytes: p.sizeBytes,
      acknowledged: p.uploaded !== null,
      contentVersionId: p.uploaded?.contentVersionId ?? null,
    })),
    partsAcknowledged: partsAcknowledged(plan),
    // What the upload cost of the org's daily API allowance (none counted on plans made before).
    crmCalls: plan.crmCalls ?? NO_CRM_CALLS,
    objectCreatedAt: plan.objectCreatedAt,
    purgeAt: plan.purgeAt,
    deadline: plan.deadline,
    lastFailure: plan.lastFailure,
    failure: plan.failure,
    deletedAt: plan.deletedAt,
    purge: plan.purge,
  };
}

export async function readRecording(
  deps: Pick<RecordingPipelineDeps, 'plans'>,
  actor: Actor,
  planId: string,
) {
  authorizeOrThrow(actor, { type: 'audit.read' });
  const plan = await deps.plans.get(planId);
  if (!plan) throw notFound('The recording');
  return recordingSummary(plan);
}

export async function listRecordings(
  deps: Pick<RecordingPipelineDeps, 'plans'>,
  actor: Actor,
  status: RecordingPlan['status'],
  limit: number,
) {
  authorizeOrThrow(actor, { type: 'audit.read' });
  return { recordings: (await deps.plans.withStatus(status, limit)).map(recordingSummary) };
}

/**
 * An admin's retry of an upload that failed for good (once the cause is fixed: the CRM user's
 * access, a restored record): a new round of tasks from the first part the CRM does not have.
 */
export async function retryRecording(deps: RecordingPipelineDeps, actor: Actor, planId: string) {
  authorizeOrThrow(actor, { type: 'settings.edit' });
  const plan = await deps.plans.get(planId);
  if (!plan) throw notFound('The recording');
  const now = deps.clock.now();
  if (!retried(plan, now))
    throw conflict(
      plan.status === 'failed' ? 'past_purge_time' : 'not_failed',
      plan.status === 'failed'
        ? 'The recording is due for purge; it can no longer be retried.'
        : `Only a failed upload can be retried; this one is ${plan.status}.`,
    );
  const updated = (await deps.plans.update(planId, (p) => retried(p, now)))?.plan;
  if (!updated || updated.status !== 'uploading')
    throw conflict('recording_changed', 'The recording changed meanwhile; look again.');
  await askForTasks(deps, updated);
  return recordingSummary(updated);
}
