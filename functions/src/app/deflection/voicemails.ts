import { agentsServing } from '../../domain/deflection/decide.js';
import type { VoicemailLeft } from '../../domain/deflection/voicemail.js';
import { notFound } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { VoicemailStore } from '../../ports/voicemails.js';
import type { DeflectionEngine } from './engine.js';

/**
 * A voicemail left after hours goes to the agents serving the queue it was left for; from a root queue
 * nobody serves, to the CRM (AHD-6). Recording it twice is harmless.
 */
export async function receiveVoicemail(
  deps: { engine: DeflectionEngine; voicemails: VoicemailStore; clock: Clock },
  voicemail: VoicemailLeft,
) {
  const compiled = await deps.engine.compiled();
  if (!compiled.queues.has(voicemail.queueId)) throw notFound(`The queue ${voicemail.queueId}`);
  const agentIds = agentsServing(compiled, voicemail.queueId);
  const route = agentIds.length > 0 ? ({ type: 'agents', agentIds } as const) : ({ type: 'crm' } as const);
  const stored = await deps.voicemails.record({
    ...voicemail,
    route,
    receivedAt: deps.clock.now().toISOString(),
  });
  return { voicemailId: voicemail.voicemailId, route, duplicate: !stored };
}
