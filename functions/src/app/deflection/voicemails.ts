import { agentsServing } from '../../domain/deflection/decide.js';
import type { VoicemailLeft } from '../../domain/deflection/voicemail.js';
import { AppError, notFound } from '../../domain/errors.js';
import type { VoicemailStore } from '../../ports/voicemails.js';
import type { DeflectionEngine } from './engine.js';

/**
 * A voicemail left after hours goes to the agents serving the queue it was left for; from a root queue
 * nobody serves, to the CRM (AHD-6). Recording it twice is harmless.
 */
export async function receiveVoicemail(
  deps: { engine: DeflectionEngine; voicemails: VoicemailStore; now: () => Date },
  voicemail: VoicemailLeft,
) {
  const compiled = await deps.engine.compiled();
  if (!compiled)
    throw new AppError(
      'not_configured',
      409,
      'Business hours and deflection settings have not been set up yet.',
    );
  if (!compiled.queues.has(voicemail.queueId)) throw notFound(`The queue ${voicemail.queueId}`);
  const agentIds = agentsServing(compiled, voicemail.queueId);
  const route = agentIds.length > 0 ? ({ type: 'agents', agentIds } as const) : ({ type: 'crm' } as const);
  const stored = await deps.voicemails.record({ ...voicemail, route, receivedAt: deps.now().toISOString() });
  return { voicemailId: voicemail.voicemailId, route, duplicate: !stored };
}
