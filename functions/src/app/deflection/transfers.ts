import type { Actor } from '../../domain/access/permissions.js';
import { authorize } from '../../domain/access/authorize.js';
import { agentsServing } from '../../domain/deflection/decide.js';
import { transferTargets } from '../../domain/deflection/transfers.js';
import { conflict, notFound } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { AgentPresence } from '../../ports/presence.js';
import type { SessionQueries } from '../../ports/supervision.js';
import type { DeflectionEngine } from './engine.js';

/**
 * The queues the agent handling a session may transfer it to, now (AHD-4 for calls, AHD-7 for chats).
 * Asked by that agent, or by someone who may monitor the session.
 */
export async function listTransferTargets(
  deps: { sessions: SessionQueries; engine: DeflectionEngine; presence: AgentPresence; clock: Clock },
  actor: Actor,
  sessionId: string,
) {
  const session = await deps.sessions.get(sessionId);
  if (!session || !session.kind || !session.channel) throw notFound('The session');
  // Anyone may ask about their own sessions: a session that is neither theirs nor one they may see is
  // answered as one that does not exist, so that its id tells nothing.
  const isItsAgent = session.agent?.id === actor.uid;
  if (
    !isItsAgent &&
    !authorize(actor, { type: 'session.view', session: { kind: session.kind, teamIds: session.teamIds } })
      .allowed
  )
    throw notFound('The session');
  if (session.listState !== 'connected')
    throw conflict('session_not_live', 'Only a connected session can be transferred.');
  const compiled = await deps.engine.compiled();
  const loggedIn = await deps.presence.loggedIn();
  const targets = transferTargets(
    compiled,
    {
      kind: session.kind,
      channel: session.channel,
      language: session.language ?? compiled.config.supportCenter.defaultLanguage,
      at: deps.clock.now().getTime(),
      ...(session.queue ? { fromQueueId: session.queue.id } : {}),
    },
    (queueId) => agentsServing(compiled, queueId).filter((id) => loggedIn.has(id)).length,
  );
  return { targets };
}
