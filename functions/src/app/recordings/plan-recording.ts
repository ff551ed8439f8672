import {
  isFinished,
  newPlan,
  nextPartIndex,
  planIdFor,
  withSession,
  type CrmRecordRef,
  type RecordingPlan,
} from '../../domain/recordings/plan.js';
import { describePausedSpans, pausedSpans } from '../../domain/smart-actions/actions.js';
import { logs } from '../../log.js';
import type { RecordingObject } from '../../ports/recordings.js';
import type { RecordingPipelineDeps } from './deps.js';

/** A recording announced by the bucket (object finalized), by the platform, or found by the sweep. */
export interface RecordingAnnouncement {
  bucket: string;
  name: string;
  /** When unknown, the live generation is meant. */
  generation?: string;
  sessionId?: string;
  recordingId?: string;
  source: 'bucket' | 'platform' | 'sweep';
}

export type PlanOutcome =
  | { outcome: 'created' | 'existing'; plan: RecordingPlan }
  /** Not in the recordings bucket: not ours to upload. */
  | { outcome: 'not_a_recording' }
  /** That generation is no longer in the bucket (already deleted, or replaced): nothing to plan. */
  | { outcome: 'gone' };

/**
 * REC-1, plan once: the first announcement of a recording plans its upload (the parts, the CRM
 * record, the deadline) from the object's metadata, without reading its bytes; any later one, from either source, finds that plan and only makes sure its tasks
 * exist. The plan's id comes from the object, so both sources agree on it.
 */
export async function planRecording(
  deps: RecordingPipelineDeps,
  a: RecordingAnnouncement,
): Promise<PlanOutcome> {
  if (a.bucket !== deps.bucket) {
    logs.recordingObjectIgnored({ source: a.source, reason: 'other_bucket' });
    return { outcome: 'not_a_recording' };
  }
  const live = a.generation === undefined ? await deps.blobs.stat(a.bucket, a.name) : undefined;
  const generation = a.generation ?? live?.generation;
  if (generation === undefined) return gone(a);

  const known = { sessionId: a.sessionId ?? null, recordingId: a.recordingId ?? null };
  const planId = planIdFor({ bucket: a.bucket, name: a.name, generation });
  // One read: a repeat finds the plan, and fills in what this announcement knows and it did not.
  const existing = (await deps.plans.update(planId, (p) => withSession(p, known, deps.clock.now())))?.plan;
  if (existing) {
    await deleteIfEmpty(deps, existing);
    await askForTasks(deps, existing);
    logs.recordingPlanned(summary(existing, a.source, 'existing'));
    return { outcome: 'existing', plan: existing };
  }

  const object = live ?? (await deps.blobs.stat(a.bucket, a.name));
  if (!object || object.generation !== generation) return gone(a);
  const link = linkOf(object, known);
  const { created, plan } = await deps.plans.create(
    newPlan(
      {
        object: {
          bucket: object.bucket,
          name: object.name,
          generation,
          sizeBytes: object.sizeBytes,
          ...(object.contentType ? { contentType: object.contentType } : {}),
        },
        objectCreatedAt: object.createdAt,
        ...link,
        ...(link.sessionId ? await callFacts(deps, link.sessionId) : { crm: null }),
        partSizeBytes: deps.partSizeBytes,
      },
      deps.clock.now(),
    ),
  );
  await deleteIfEmpty(deps, plan);
  await askForTasks(deps, plan);
  logs.recordingPlanned(summary(plan, a.source, created ? 'created' : 'existing'));
  return { outcome: created ? 'created' : 'existing', plan };
}

/**
 * An empty recording has nothing for the CRM: its plan is stored as `empty` first, then the object
 * goes, so a crash in between leaves a record. A repeated announcement deletes again, and the hourly
 * sweep deletes the object of any finished plan that is still in the bucket.
 */
async function deleteIfEmpty(deps: RecordingPipelineDeps, plan: RecordingPlan): Promise<void> {
  if (plan.status !== 'empty') return;
  const { bucket, name, generation } = plan.object;
  const objectWas = await deps.blobs.delete(bucket, name, generation);
  logs.recordingEmpty({ planId: plan.id, objectWas });
}

/**
 * The tasks a plan needs: its purge at the deadline and its next upload. Both are named, so asking
 * again (a repeated announcement, a crash after the plan was stored) creates nothing new; so they
 * are asked for together, and the upload does not wait for a purge that is days away.
 */
export async function askForTasks(deps: RecordingPipelineDeps, plan: RecordingPlan): Promise<void> {
  if (isFinished(plan)) return;
  await Promise.all([
    deps.tasks.schedulePurge(plan.id, new Date(plan.purgeAt)),
    plan.status !== 'failed' && deps.tasks.enqueuePartUpload(plan.id, plan.round, nextPartIndex(plan)),
  ]);
}

/**
 * The call's CRM record, from its session. Undefined while the platform has not linked one; only
 * Salesforce records can be uploaded to.
 */
export async function crmRecordOf(
  deps: RecordingPipelineDeps,
  sessionId: string,
): Promise<CrmRecordRef | null> {
  const crm = (await deps.sessions.getSession(sessionId))?.crm;
  return crm?.system === 'salesforce' ? { system: 'salesforce', recordId: crm.recordId } : null;
}

/**
 * What the plan takes from the call: its CRM record, and what the CRM's copy says of the spans its
 * recording was paused for redaction (SMA-1), a redaction never resumed spanning to the call's end.
 */
async function callFacts(deps: RecordingPipelineDeps, sessionId: string) {
  const [crm, crmDescription] = await Promise.all([
    crmRecordOf(deps, sessionId),
    pausedSpansDescription(deps, sessionId),
  ]);
  return { crm, crmDescription };
}

/**
 * What the CRM's copy of a call's recording says of the spans it was paused for redaction (SMA-1),
 * read from the call as it is now: when the plan is made with its CRM record, else when the record
 * is linked later (the call known or ended only after its recording was announced).
 */
export async function pausedSpansDescription(
  deps: RecordingPipelineDeps,
  sessionId: string,
): Promise<string | null> {
  if (!deps.redactions) return null;
  const [session, requests] = await Promise.all([
    deps.sessions.getSession(sessionId),
    deps.redactions.list(sessionId),
  ]);
  return describePausedSpans(pausedSpans(requests, session?.endedAt ?? null));
}

/**
 * Which call a recording belongs to: what the platform said, else the object's metadata
 * (`session-id`, `recording-id`), else its name when it follows `recordings/<session>/<recording>.<ext>`.
 */
function linkOf(object: RecordingObject, known: { sessionId: string | null; recordingId: string | null }) {
  const byName = /^recordings\/([^/]+)\/([^/]+?)(?:\.[^./]*)?$/.exec(object.name);
  return {
    sessionId: known.sessionId ?? object.metadata['session-id'] ?? byName?.[1] ?? null,
    recordingId: known.recordingId ?? object.metadata['recording-id'] ?? byName?.[2] ?? null,
  };
}

function gone(a: RecordingAnnouncement): PlanOutcome {
  logs.recordingObjectIgnored({ source: a.source, reason: 'generation_gone' });
  return { outcome: 'gone' };
}

const summary = (plan: RecordingPlan, source: RecordingAnnouncement['source'], outcome: string) => ({
  planId: plan.id,
  source,
  outcome,
  status: plan.status,
  sizeBytes: plan.object.sizeBytes,
  partCount: plan.parts.length,
  crmRecordKnown: plan.crm !== null,
});
