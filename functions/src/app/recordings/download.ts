import type { Actor } from '../../domain/access/permissions.js';
import { AppError, notFound } from '../../domain/errors.js';
import { isFinished, type RecordingPlan } from '../../domain/recordings/plan.js';
import { logs } from '../../log.js';
import type { Clock } from '../../ports/clock.js';
import type { RecordingBlobs, RecordingPlans } from '../../ports/recordings.js';
import type { AuditLog, SessionQueries } from '../../ports/supervision.js';
import { accessToRecording } from '../../domain/access/authorize.js';
import { auditId, enforce } from '../supervision/deps.js';

export interface DownloadDeps {
  plans: Pick<RecordingPlans, 'get'>;
  blobs: Pick<RecordingBlobs, 'stat' | 'read'>;
  sessions: Pick<SessionQueries, 'get'>;
  audit: AuditLog;
  clock: Clock;
  newId: () => string;
}

/** Who asks: the CRM with one of its keys (already checked), or a signed-in person. */
export type Downloader = { by: 'crm_key'; key: 'current' | 'previous' } | { by: 'person'; actor: Actor };

export interface Download {
  plan: RecordingPlan;
  body: AsyncIterable<Uint8Array>;
}

/**
 * REC-4: a recording waiting for the CRM can be read by the CRM (its key) or by a person with
 * multi-factor sign-in who may monitor the call; each access is in the audit trail before a byte goes.
 */
export async function openRecording(deps: DownloadDeps, who: Downloader, planId: string): Promise<Download> {
  // A person without a second factor or the permission is refused before anything is read: the same
  // answer for every id. One outside the recording's teams gets the 404 of a missing recording.
  if (who.by === 'person') {
    const upfront = accessToRecording(who.actor, undefined);
    if (upfront.outcome === 'forbidden') enforce(upfront, 'The recording');
  }
  const plan = await deps.plans.get(planId);
  if (!plan) throw notFound('The recording');
  const session = plan.sessionId ? await deps.sessions.get(plan.sessionId) : undefined;
  if (who.by === 'person')
    enforce(
      accessToRecording(who.actor, {
        session: session ? { kind: session.kind ?? 'call', teamIds: session.teamIds } : null,
      }),
      'The recording',
    );
  const { bucket, name, generation } = plan.object;
  const live = isFinished(plan) ? undefined : await deps.blobs.stat(bucket, name);
  if (!live || live.generation !== generation)
    throw new AppError(
      'recording_gone',
      410,
      'The recording was delivered to the CRM or purged; it is no longer here.',
    );

  const at = deps.clock.now().toISOString();
  const actorUid = who.by === 'person' ? who.actor.uid : `crm-key:${who.key}`;
  const sessionId = plan.sessionId ?? '';
  await deps.audit.record({
    id: auditId(sessionId || plan.id, actorUid, 'recording.downloaded', `${at}-${deps.newId()}`),
    at,
    action: 'recording.downloaded',
    actorUid,
    sessionId,
    kind: session?.kind ?? 'call',
    agentId: session?.agent?.id ?? null,
    teamIds: session?.teamIds ?? [],
    recordingPlanId: plan.id,
  });
  logs.recordingDownloaded({
    planId: plan.id,
    by: who.by,
    ...(who.by === 'person' ? { uid: who.actor.uid } : {}),
  });
  return { plan, body: deps.blobs.read(bucket, name, generation) };
}
