import { agentsServing } from '../../domain/deflection/decide.js';
import { newDelivery, type VoicemailDelivery } from '../../domain/deflection/voicemail-delivery.js';
import type { VoicemailLeft } from '../../domain/deflection/voicemail.js';
import { invalidRequest, notFound } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { VoicemailStore, VoicemailTasks } from '../../ports/voicemails.js';

/** The tasks a voicemail for the CRM starts with: its delivery now and its purge. */
export type AskedForTasks = Pick<VoicemailTasks, 'enqueueVoicemailDelivery' | 'scheduleVoicemailPurge'>;
import type { DeflectionEngine } from './engine.js';

/**
 * A voicemail left after hours goes to the agents serving the queue it was left for; from a root queue
 * nobody serves, to the CRM (AHD-6): the outbox entry and the voicemail are one write, then its delivery
 * task and its purge task (REC-3) are asked for. Recording it twice is harmless, and a redelivery of a
 * voicemail still in the outbox asks for both tasks again (named tasks: never twice), so that a report
 * whose tasks were lost to a failure gets them when the platform sends it again.
 * Without a CRM queue (`tasks` absent), the entry waits in the outbox.
 */
export async function receiveVoicemail(
  deps: {
    engine: DeflectionEngine;
    voicemails: VoicemailStore;
    clock: Clock;
    /** With `bucket`, the bucket voicemails' audio is delivered from, and deleted from once delivered. */
    tasks?: AskedForTasks;
    bucket?: string;
  },
  voicemail: VoicemailLeft,
) {
  if (deps.bucket !== undefined && voicemail.recording.bucket !== deps.bucket)
    throw invalidRequest(
      `The voicemail's audio must be in the voicemail bucket ${deps.bucket}, not in ${voicemail.recording.bucket}.`,
      [{ path: 'recording.bucket', message: `must be ${deps.bucket}`, code: 'not_the_voicemail_bucket' }],
    );
  const compiled = await deps.engine.compiled();
  if (!compiled.queues.has(voicemail.queueId)) throw notFound(`The queue ${voicemail.queueId}`);
  const agentIds = agentsServing(compiled, voicemail.queueId);
  const route = agentIds.length > 0 ? ({ type: 'agents', agentIds } as const) : ({ type: 'crm' } as const);
  const receivedAt = deps.clock.now();
  const delivery = newDelivery(voicemail, receivedAt);
  const stored = await deps.voicemails.record(
    { ...voicemail, route, receivedAt: receivedAt.toISOString() },
    delivery,
  );
  if (deps.tasks) {
    // On a redelivery, what was stored decides (the queue's agents may have changed since).
    const waiting = stored ? delivery : await deps.voicemails.outboxEntry(voicemail.voicemailId);
    if (waiting && (!stored || route.type === 'crm')) await askForDelivery(deps.tasks, waiting);
  }
  return { voicemailId: voicemail.voicemailId, route, duplicate: !stored };
}

async function askForDelivery(tasks: AskedForTasks, entry: VoicemailDelivery) {
  await tasks.scheduleVoicemailPurge(entry.voicemailId, new Date(entry.purgeAt));
  await tasks.enqueueVoicemailDelivery(entry.voicemailId);
}
