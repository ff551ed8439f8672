import {
  stepForDelivery,
  withAttemptStarted,
  withCrmRecord,
  withDelivered,
  withFailedAttempt,
  type VoicemailDelivery,
} from '../../domain/deflection/voicemail-delivery.js';
import { crmRecordCheckAt } from '../../domain/recordings/plan.js';
import { logs } from '../../log.js';
import type { Clock } from '../../ports/clock.js';
import { CrmError } from '../../ports/crm.js';
import { ObjectGenerationGone, type RecordingBlobs } from '../../ports/recordings.js';
import type { SessionRepository } from '../../ports/session-repository.js';
import type { VoicemailCrm, VoicemailOutbox, VoicemailTasks } from '../../ports/voicemails.js';
import { DONE, type TaskAnswer } from '../recordings/deps.js';
import type { AskedForTasks } from './voicemails.js';

/** The CRM worker's voicemail deliveries (AHD-6), with the recordings' guarantees. */
export interface VoicemailWorkerDeps {
  outbox: VoicemailOutbox;
  blobs: RecordingBlobs;
  /** The CRM record of a call is on its session. */
  sessions: Pick<SessionRepository, 'getSession'>;
  crm: () => VoicemailCrm;
  /** Where the look again at a call not yet linked to its CRM record is scheduled. */
  tasks: Pick<VoicemailTasks, 'scheduleDeliveryAt'>;
  clock: Clock;
}

const fileNameOf = (objectName: string) => objectName.slice(objectName.lastIndexOf('/') + 1) || objectName;

/**
 * One voicemail task, the delivery or the same task at the purge time: sends the audio to the call's
 * CRM record once, then deletes it from the bucket and the entry from the outbox; or, once the purge
 * time has come, deletes it whatever became of the delivery (REC-3). Safe to run twice, late or at once:
 * an entry acknowledged is never sent again, and an attempt whose outcome was lost is looked up in
 * the CRM, not repeated (REC-6).
 */
export async function runVoicemailTask(
  deps: VoicemailWorkerDeps,
  task: { voicemailId: string },
): Promise<TaskAnswer> {
  let entry = await deps.outbox.get(task.voicemailId);
  if (!entry) return ignored(task.voicemailId, 'settled');
  const step = stepForDelivery(entry, deps.clock.now());
  switch (step.do) {
    case 'nothing':
      return ignored(entry.voicemailId, step.why);
    case 'finish':
      return finish(deps, entry);
    case 'purge':
      return purge(deps, entry);
    case 'find_crm_record': {
      const found = await findCrmRecord(deps, entry);
      if ('outcome' in found) return found;
      entry = found;
      return send(deps, entry, entry.inFlightSince !== null);
    }
    case 'send':
      return send(deps, entry, step.lookFirst);
  }
}

async function send(deps: VoicemailWorkerDeps, entry: VoicemailDelivery, lookFirst: boolean) {
  const { bucket, object } = entry.recording;
  const live = await deps.blobs.stat(bucket, object);
  const generation = entry.recording.generation ?? live?.generation;
  if (!live || live.generation !== generation)
    return failed(deps, entry, { kind: 'object_gone', reason: 'object_gone' }, true, true);
  // A message with no sound has nothing for the CRM: recorded as empty, and deleted.
  if (live.sizeBytes === 0) {
    const objectWas = await deps.blobs.delete(bucket, object, generation);
    await deps.outbox.settle(entry.voicemailId, { status: 'empty', at: deps.clock.now().toISOString() });
    logs.voicemailSettled({ voicemailId: entry.voicemailId, status: 'empty', objectWas });
    return DONE;
  }
  // Written before the CRM is called: should the answer be lost, the next attempt knows to look.
  const started = await deps.outbox.update(entry.voicemailId, (e) =>
    withAttemptStarted(e, generation, deps.clock.now()),
  );
  if (!started) return ignored(entry.voicemailId, 'settled_meanwhile');
  let outcome;
  try {
    outcome = await deps.crm().attachVoicemail({
      voicemailId: started.voicemailId,
      crmRecordId: started.crmRecordId!,
      title: started.title,
      fileName: fileNameOf(object),
      sizeBytes: live.sizeBytes,
      // Streamed from the bucket, never whole in memory; the adapter counts and hashes the bytes.
      body: deps.blobs.read(bucket, object, generation),
      reread: () => deps.blobs.read(bucket, object, generation),
      lookFirst,
    });
  } catch (error) {
    if (error instanceof ObjectGenerationGone)
      return failed(deps, started, { kind: 'object_gone', reason: 'object_gone' }, true, true);
    if (error instanceof CrmError)
      return failed(
        deps,
        started,
        { kind: error.kind, reason: error.reason },
        !error.retryable,
        // Without an answer the CRM may have stored it: the in-flight mark stays for the next attempt.
        error.kind !== 'not_acknowledged',
        error.retryAfterSeconds,
      );
    throw error;
  }
  const now = deps.clock.now();
  const delivered = await deps.outbox.update(
    started.voicemailId,
    (e) => withDelivered(e, outcome, now),
    (e) => ({
      status: 'delivered',
      at: now.toISOString(),
      crmRecordId: e.crmRecordId!,
      contentVersionId: outcome.contentVersionId,
      outcome: outcome.status,
    }),
  );
  const usage = outcome.apiUsage;
  logs.voicemailDelivered({
    voicemailId: started.voicemailId,
    outcome: outcome.status,
    attempts: started.attempts,
    ...(usage ? { crmApiUsed: usage.used, crmApiMax: usage.max } : {}),
  });
  // Another attempt recorded it first: that one deletes the audio.
  return delivered ? finish(deps, delivered) : DONE;
}

/** REC-1 for a voicemail: the CRM has it, so the audio goes (that generation only), then the entry. */
async function finish(deps: VoicemailWorkerDeps, entry: VoicemailDelivery): Promise<TaskAnswer> {
  const { bucket, object, generation } = entry.recording;
  const objectWas = generation === null ? 'absent' : await deps.blobs.delete(bucket, object, generation);
  await deps.outbox.settle(entry.voicemailId);
  logs.voicemailSettled({ voicemailId: entry.voicemailId, status: 'delivered', objectWas });
  return DONE;
}

/**
 * REC-3 for a voicemail: its audio is deleted at the recordings' purge time whatever became of the
 * delivery, and the voicemail records why the CRM never got it.
 */
async function purge(
  deps: Pick<VoicemailWorkerDeps, 'outbox' | 'blobs' | 'clock'>,
  entry: VoicemailDelivery,
): Promise<TaskAnswer> {
  const { bucket, object } = entry.recording;
  // Never sent, so never pinned: the generation the platform wrote, which is the live one.
  const generation = entry.recording.generation ?? (await deps.blobs.stat(bucket, object))?.generation;
  const objectWas = generation === undefined ? 'absent' : await deps.blobs.delete(bucket, object, generation);
  const why = entry.failure ?? entry.lastFailure;
  await deps.outbox.settle(entry.voicemailId, {
    status: 'purged',
    at: deps.clock.now().toISOString(),
    failure: why,
  });
  logs.voicemailPurged({ voicemailId: entry.voicemailId, reason: why?.reason ?? null, objectWas });
  return DONE;
}

async function failed(
  deps: VoicemailWorkerDeps,
  entry: VoicemailDelivery,
  failure: { kind: string; reason: string },
  permanent: boolean,
  outcomeKnown: boolean,
  retryAfterSeconds?: number,
): Promise<TaskAnswer> {
  const now = deps.clock.now();
  await deps.outbox.update(
    entry.voicemailId,
    (e) => withFailedAttempt(e, failure, { permanent, outcomeKnown }, now),
    permanent ? (e) => ({ status: 'failed', at: now.toISOString(), failure: e.failure! }) : undefined,
  );
  if (permanent) {
    logs.voicemailDeliveryFailed({ voicemailId: entry.voicemailId, ...failure });
    return DONE;
  }
  logs.voicemailDeliveryWillRetry({ voicemailId: entry.voicemailId, ...failure, retryAfterSeconds });
  return {
    outcome: 'retry',
    slowDown: failure.kind === 'limit_reached',
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    reason: failure.reason,
  };
}

/** The entry with its CRM record, or what to tell the queue when there is none (yet). */
async function findCrmRecord(
  deps: VoicemailWorkerDeps,
  entry: VoicemailDelivery,
): Promise<VoicemailDelivery | TaskAnswer> {
  // A voicemail the platform tied to no call has no record to go to, now or later.
  if (entry.sessionId === null)
    return failed(deps, entry, { kind: 'permanent', reason: 'no_session' }, true, true);
  const crm = (await deps.sessions.getSession(entry.sessionId))?.crm;
  if (crm && crm.system !== 'salesforce')
    return failed(deps, entry, { kind: 'permanent', reason: 'crm_not_supported' }, true, true);
  if (!crm) {
    // A wait, not an error: the task that looks again is scheduled on the recordings' grid of check
    // times, and this one is done (a 503 would slow the queue every CRM task shares).
    const at = crmRecordCheckAt({ plannedAt: entry.createdAt, purgeAt: entry.purgeAt }, deps.clock.now());
    await deps.tasks.scheduleDeliveryAt(entry.voicemailId, at);
    logs.voicemailWaitingForCrmRecord({ voicemailId: entry.voicemailId, nextCheckAt: at.toISOString() });
    return DONE;
  }
  const linked = await deps.outbox.update(entry.voicemailId, (e) => withCrmRecord(e, crm.recordId));
  return linked ?? { ...entry, crmRecordId: crm.recordId };
}

/** An entry this old that is still waiting may have lost its tasks: they are asked for again. */
export const VOICEMAIL_TASK_GRACE_MS = 15 * 60_000;
/** Entries looked at per sweep; the oldest first, so an overdue one is never crowded out. */
const VOICEMAILS_PER_SWEEP = 1_000;

export interface VoicemailSweep {
  purged: number;
  tasksAskedAgain: number;
  /** Entries the sweep could not deal with; each was logged, and the sweep went on. */
  failures: number;
}

/**
 * The hourly safety net for voicemails, for when their tasks were lost (an enqueue that failed after
 * the platform stopped redelivering, a queue that gave up): an entry past its purge time is purged
 * here (REC-3); one still waiting after a grace period gets its tasks asked for again (named: a task
 * that is still there is not doubled). One entry that fails does not hold back the others.
 */
export async function sweepVoicemails(
  deps: Pick<VoicemailWorkerDeps, 'outbox' | 'blobs' | 'clock'> & { tasks: AskedForTasks },
): Promise<VoicemailSweep> {
  const summary: VoicemailSweep = { purged: 0, tasksAskedAgain: 0, failures: 0 };
  const now = deps.clock.now();
  const entries = await deps.outbox.receivedBy(
    new Date(now.getTime() - VOICEMAIL_TASK_GRACE_MS),
    VOICEMAILS_PER_SWEEP,
  );
  for (const entry of entries) {
    const step = stepForDelivery(entry, now);
    try {
      if (step.do === 'purge') {
        await purge(deps, entry);
        summary.purged++;
      } else if (step.do !== 'nothing') {
        await deps.tasks.scheduleVoicemailPurge(entry.voicemailId, new Date(entry.purgeAt));
        await deps.tasks.enqueueVoicemailDelivery(entry.voicemailId);
        summary.tasksAskedAgain++;
      }
    } catch (error) {
      summary.failures++;
      logs.voicemailSweepStepFailed({
        voicemailId: entry.voicemailId,
        step: step.do === 'purge' ? 'purge' : 'ask for tasks',
        error: errorKind(error),
      });
    }
  }
  return summary;
}

/** The error's class and code: messages of storage errors name the object, which is not for logs. */
export function errorKind(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' || typeof code === 'string' ? `${error.name} (${code})` : error.name;
}

function ignored(voicemailId: string, why: string): TaskAnswer {
  logs.voicemailTaskIgnored({ voicemailId, why });
  return DONE;
}
