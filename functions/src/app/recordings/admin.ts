import type { Actor } from '../../domain/access/permissions.js';
import { conflict, notFound } from '../../domain/errors.js';
import {
  NO_CRM_CALLS,
  retried,
  partsAcknowledged,
  type AttemptFailure,
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
    lastFailure: failureSummary(plan.lastFailure),
    failure: failureSummary(plan.failure),
    deletedAt: plan.deletedAt,
    purge: plan.purge,
  };
}

// Plans stored before failures counted their attempts had one each.
const failureSummary = (failure: AttemptFailure | null) =>
  failure ? { ...failure, attempts: failure.attempts ?? 1 } : null;

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
  const updated = await deps.plans.update(planId, (p) => retried(p, now));
  if (!updated?.written) throw conflict('recording_changed', 'The recording changed meanwhile; look again.');
  await askForTasks(deps, updated.plan);
  return recordingSummary(updated.plan);
}

/** Which failed uploads a bulk retry takes; every field given must match. */
export interface FailedRecordingsFilter {
  kind?: string;
  reason?: string;
  /** Failed at or after this time. */
  failedSince?: Date;
  crmRecordId?: string;
}

/** The most recently failed uploads a bulk retry looks through, in one call. */
export const MAX_FAILED_SCANNED = 500;

export type RetrySkip = 'past_purge_time' | 'recording_changed';

/**
 * An admin's retry of every failed upload that matches the filter (once the cause is fixed for all
 * of them: the CRM user's access restored, the API limit raised): at most `limit` of them, each as
 * retryRecording would. Looks through the MAX_FAILED_SCANNED most recently failed; `more` says
 * whether matching uploads may remain beyond the limit or the look.
 */
export async function retryFailedRecordings(
  deps: RecordingPipelineDeps,
  actor: Actor,
  filter: FailedRecordingsFilter,
  limit: number,
) {
  authorizeOrThrow(actor, { type: 'settings.edit' });
  const failed = await deps.plans.withStatus('failed', MAX_FAILED_SCANNED);
  const matching = failed.filter((plan) => matches(plan, filter));
  const retriedIds: string[] = [];
  const skipped: { id: string; reason: RetrySkip }[] = [];
  for (const plan of matching.slice(0, limit)) {
    const now = deps.clock.now();
    if (!retried(plan, now)) {
      skipped.push({ id: plan.id, reason: 'past_purge_time' });
      continue;
    }
    const updated = await deps.plans.update(plan.id, (p) => retried(p, now));
    if (!updated?.written) {
      skipped.push({ id: plan.id, reason: 'recording_changed' });
      continue;
    }
    await askForTasks(deps, updated.plan);
    retriedIds.push(plan.id);
  }
  return {
    matched: matching.length,
    retriedCount: retriedIds.length,
    retried: retriedIds,
    skipped,
    more: matching.length > limit || failed.length === MAX_FAILED_SCANNED,
  };
}

function matches(plan: RecordingPlan, filter: FailedRecordingsFilter): boolean {
  const failure = plan.failure;
  if (!failure) return false;
  if (filter.kind !== undefined && failure.kind !== filter.kind) return false;
  if (filter.reason !== undefined && failure.reason !== filter.reason) return false;
  if (filter.failedSince && Date.parse(failure.at) < filter.failedSince.getTime()) return false;
  return filter.crmRecordId === undefined || plan.crm?.recordId === filter.crmRecordId;
}
