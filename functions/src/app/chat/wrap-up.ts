import { notFound } from '../../domain/errors.js';
import { applyChatAction, refusalError, type ChatDeps } from './chats.js';

/** LCH-10: the agent who answers the chat ends it (a conference guest leaves it); a wrap-up is then owed. */
export async function endChat(deps: ChatDeps, agentId: string, sessionId: string) {
  const outcome = await applyChatAction(deps, sessionId, {
    type: 'end',
    agentId,
    at: deps.clock.now().toISOString(),
  });
  if (!outcome.ok) throw refusalError(outcome);
  return outcome.chat;
}

/** LCH-10: the reasons, optionally those whose label contains `search` (any case), by label. */
export async function listWrapUpReasons(deps: Pick<ChatDeps, 'wrapUpReasons'>, search?: string) {
  const needle = search?.toLocaleLowerCase();
  const reasons = await deps.wrapUpReasons.list();
  return reasons
    .filter((r) => needle === undefined || r.label.toLocaleLowerCase().includes(needle))
    .sort((a, b) => a.label.localeCompare(b.label) || (a.id < b.id ? -1 : 1));
}

/** LCH-10: the agent sends the wrap-up they owe; sending the last one makes a Busy agent Available. */
export async function sendWrapUp(deps: ChatDeps, agentId: string, sessionId: string, reasonId: string) {
  if (!(await deps.wrapUpReasons.get(reasonId))) throw notFound('The wrap-up reason');
  const outcome = await applyChatAction(deps, sessionId, {
    type: 'wrap_up',
    agentId,
    reasonId,
    at: deps.clock.now().toISOString(),
  });
  if (!outcome.ok) throw refusalError(outcome);
  return outcome.chat;
}
