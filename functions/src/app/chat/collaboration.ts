import { canTakeOffer, type ChatCase, type ChatEffect, type TransferTarget } from '../../domain/chat/chat.js';
import { threadOrder, type ThreadMessage } from '../../domain/chat/views.js';
import { agentsServing } from '../../domain/deflection/decide.js';
import { transferTargets } from '../../domain/deflection/transfers.js';
import { conflict, forbidden, notFound } from '../../domain/errors.js';
import type { ChatOutboxItem } from '../../ports/chats.js';
import type { AvailableDesks } from '../../ports/available-desks.js';
import type { PlatformCommand } from '../../ports/platform-commands.js';
import type { AgentPresence } from '../../ports/presence.js';
import type { DeflectionEngine } from '../deflection/engine.js';
import { applyChatAction, refusalError, type ChatDeps } from './chats.js';

/**
 * Transfer (LCH-8) and conference (LCH-9): the agent who accepted a chat hands it to a queue or to an
 * available agent, or invites an available agent to share it. The receiving agent gets an offer like any
 * other (accepted, declined or timed out through the same routes and task); the state machine decides
 * what each outcome means, and the platform is told on the command topic.
 */
export interface CollaborationDeps {
  chat: ChatDeps;
  engine: Pick<DeflectionEngine, 'compiled'>;
  /** Who the platform reports logged in: an agent it does not see cannot be handed a chat. */
  presence: Pick<AgentPresence, 'loggedIn'>;
  desks: AvailableDesks;
}

/** How many agents one list holds: the desktop searches rather than scrolls. */
export const MAX_LISTED_AGENTS = 50;

const matches = (search: string | undefined, ...texts: string[]) => {
  if (!search) return true;
  const needle = search.toLocaleLowerCase();
  return texts.some((t) => t.toLocaleLowerCase().includes(needle));
};

/** The chat, if the caller answers it and it is accepted: transfers and invitations come only then. */
async function acceptedChatOf(deps: CollaborationDeps, agentId: string, sessionId: string) {
  const chat = await deps.chat.chats.getChat(sessionId);
  if (!chat || !chat.agents.includes(agentId)) throw notFound('The chat');
  if (chat.offer?.agentId === agentId && chat.owner !== agentId)
    throw conflict(
      'not_accepted',
      'Accept the chat first: only an accepted chat can be transferred or shared.',
      { phase: chat.phase },
    );
  if (chat.owner !== agentId)
    throw forbidden('not_owner', 'Only the agent who accepted the chat can transfer it or invite another.');
  if (chat.phase === 'interrupted')
    throw conflict('interrupted', 'The chat was interrupted: it can only be ended.');
  if (chat.phase !== 'accepted')
    throw conflict(
      'not_accepted',
      `The chat is ${chat.phase.replace('_', ' ')}: it can be transferred or shared only once accepted, while no transfer or invitation is pending.`,
      { phase: chat.phase },
    );
  return chat;
}

/** Agents who could take the chat now: Available with no wrap-up owed here, and logged in as the platform sees it. */
async function availableAgents(deps: CollaborationDeps, chat: ChatCase, search?: string) {
  const [desks, loggedIn] = await Promise.all([deps.desks.available(), deps.presence.loggedIn()]);
  const candidates = desks.filter(
    (d) => canTakeOffer(d) && loggedIn.has(d.agentId) && d.agentId !== chat.owner && d.agentId !== chat.guest,
  );
  const named = await Promise.all(
    candidates.map(async (d) => ({
      agentId: d.agentId,
      name: (await deps.chat.people.getPerson(d.agentId))?.name ?? d.agentId,
    })),
  );
  return named
    .filter((a) => matches(search, a.name, a.agentId))
    .sort((a, b) => a.name.localeCompare(b.name) || a.agentId.localeCompare(b.agentId))
    .slice(0, MAX_LISTED_AGENTS);
}

async function queueTargets(deps: CollaborationDeps, sessionId: string, search?: string) {
  const session = await deps.chat.sessions.getSession(sessionId);
  if (!session?.kind || !session.channel) throw notFound('The chat');
  const compiled = await deps.engine.compiled();
  const loggedIn = await deps.presence.loggedIn();
  const targets = transferTargets(
    compiled,
    {
      kind: session.kind,
      channel: session.channel,
      language: session.language ?? compiled.config.supportCenter.defaultLanguage,
      at: deps.chat.clock.now().getTime(),
      ...(session.queue ? { fromQueueId: session.queue.id } : {}),
    },
    (queueId) => agentsServing(compiled, queueId).filter((id) => loggedIn.has(id)).length,
  );
  return targets.filter((t) => matches(search, t.name, ...t.menuPath));
}

/**
 * The queues and agents the caller may transfer the chat to, or invite, now (LCH-8, LCH-9). Computed
 * afresh on each call, so asking again refreshes it; `search` narrows both lists by name.
 */
export async function collaborationTargets(
  deps: CollaborationDeps,
  agentId: string,
  sessionId: string,
  search?: string,
) {
  const chat = await acceptedChatOf(deps, agentId, sessionId);
  const [queues, agents] = await Promise.all([
    queueTargets(deps, sessionId, search),
    availableAgents(deps, chat, search),
  ]);
  return { queues, agents };
}

async function offerTimeoutMs(deps: CollaborationDeps) {
  return (await deps.chat.settings.read()).offerTimeoutSeconds * 1000;
}

/**
 * LCH-8: the owner asks to transfer the chat. To an agent: they are offered it at once. To a queue: the
 * platform picks one of its agents (or reports none) through `offerQueueTransfer`. Either way the chat
 * stays with the first agent until the receiving agent accepts.
 */
export async function requestTransfer(
  deps: CollaborationDeps,
  agentId: string,
  sessionId: string,
  to: TransferTarget,
): Promise<ChatCase> {
  const chat = await acceptedChatOf(deps, agentId, sessionId);
  if (to.type === 'queue') {
    const queues = await queueTargets(deps, sessionId);
    if (!queues.some((q) => q.queueId === to.queueId))
      throw conflict(
        'not_a_transfer_target',
        'That queue cannot take a transfer now: choose one from the list.',
      );
  } else if (!(await availableAgents(deps, chat)).some((a) => a.agentId === to.agentId)) {
    throw conflict(
      'not_available',
      'That agent is not available to take the chat: choose one from the list.',
    );
  }
  const outcome = await applyChatAction(deps.chat, sessionId, {
    type: 'request_transfer',
    agentId,
    to,
    offerId: `transfer-${deps.chat.newId()}`,
    at: deps.chat.clock.now().toISOString(),
    timeoutMs: await offerTimeoutMs(deps),
  });
  if (!outcome.ok) throw refusalError(outcome);
  return outcome.chat;
}

/**
 * The platform's answer to a transfer to a queue: the agent it picked, who is offered the chat, or
 * nobody, which rejects the transfer. `offerId` names the pick: the same pick sent again changes nothing.
 */
export async function offerQueueTransfer(
  deps: Pick<CollaborationDeps, 'chat'>,
  sessionId: string,
  pick: { offerId: string; agentId: string | null },
): Promise<'offered' | 'rejected' | 'already_settled'> {
  const at = deps.chat.clock.now().toISOString();
  const chat = await deps.chat.chats.getChat(sessionId);
  if (!chat) throw notFound('The chat');
  if (pick.agentId === null) {
    const outcome = await applyChatAction(deps.chat, sessionId, { type: 'transfer_failed', at });
    return outcome.ok ? 'rejected' : 'already_settled';
  }
  if (chat.offer?.offerId === pick.offerId) return 'already_settled';
  if (chat.phase !== 'transfer_requested' || chat.transfer?.to.type !== 'queue' || chat.offer !== null)
    return 'already_settled';
  const outcome = await applyChatAction(deps.chat, sessionId, {
    type: 'offer',
    sessionId,
    agentId: pick.agentId,
    offerId: pick.offerId,
    at,
    timeoutMs: (await deps.chat.settings.read()).offerTimeoutSeconds * 1000,
  });
  if (!outcome.ok) return 'already_settled';
  // A pick that cannot take the chat (not Available, or the first agent) rejects the transfer at once.
  return outcome.chat.phase === 'transfer_requested' ? 'offered' : 'rejected';
}

/** LCH-9: the owner invites an available agent; the chat is *Conference requested* until they answer. */
export async function inviteToConference(
  deps: CollaborationDeps,
  agentId: string,
  sessionId: string,
  guestId: string,
): Promise<ChatCase> {
  const chat = await acceptedChatOf(deps, agentId, sessionId);
  if (!(await availableAgents(deps, chat)).some((a) => a.agentId === guestId))
    throw conflict(
      'not_available',
      'That agent is not available to join the chat: choose one from the list.',
    );
  const outcome = await applyChatAction(deps.chat, sessionId, {
    type: 'invite',
    agentId,
    guestId,
    offerId: `conference-${deps.chat.newId()}`,
    at: deps.chat.clock.now().toISOString(),
    timeoutMs: await offerTimeoutMs(deps),
  });
  if (!outcome.ok) throw refusalError(outcome);
  return outcome.chat;
}

/**
 * LCH-9, *End conference*: the invited agent leaves the chat, which stays with its owner; the owner
 * ends the chat for everyone. Whoever ends it owes a wrap-up (the owner's ending makes both owe one).
 */
export async function endConference(
  deps: Pick<CollaborationDeps, 'chat'>,
  agentId: string,
  sessionId: string,
) {
  const chat = await deps.chat.chats.getChat(sessionId);
  if (!chat || !chat.agents.includes(agentId)) throw notFound('The chat');
  if (chat.phase !== 'conference' || (chat.owner !== agentId && chat.guest !== agentId))
    throw conflict('not_in_conference', 'You are not in a conference on this chat.', { phase: chat.phase });
  const outcome = await applyChatAction(deps.chat, sessionId, {
    type: 'end',
    agentId,
    at: deps.chat.clock.now().toISOString(),
  });
  if (!outcome.ok) throw refusalError(outcome);
  return outcome.chat;
}

const command = (c: PlatformCommand): ChatOutboxItem => ({ id: c.commandId, type: 'command', command: c });

/** What the platform is told of transfers and conferences: written with the change, published after it. */
export function collaborationCommands(effect: ChatEffect, at: string): ChatOutboxItem[] {
  switch (effect.type) {
    case 'transfer_requested':
    case 'transfer_rejected':
      return [
        command({
          type: 'chat.transfer',
          commandId: `transfer-${effect.type === 'transfer_requested' ? 'requested' : 'rejected'}-${effect.sessionId}-${at}`,
          sessionId: effect.sessionId,
          status: effect.type === 'transfer_requested' ? 'requested' : 'rejected',
          from: effect.from,
          to: effect.to,
        }),
      ];
    case 'transfer_completed':
      return [
        command({
          type: 'chat.transfer',
          commandId: `transfer-completed-${effect.sessionId}-${at}`,
          sessionId: effect.sessionId,
          status: 'completed',
          from: effect.from,
          to: { type: 'agent', agentId: effect.to },
        }),
      ];
    case 'agent_joined':
    case 'agent_left':
      return [
        command({
          type: 'chat.conference',
          commandId: `conference-${effect.type === 'agent_joined' ? 'joined' : 'left'}-${effect.sessionId}-${effect.agentId}-${at}`,
          sessionId: effect.sessionId,
          agentId: effect.agentId,
          status: effect.type === 'agent_joined' ? 'joined' : 'left',
        }),
      ];
    default:
      return [];
  }
}

/** The system messages a change adds to the thread: who joined or left a conference (LCH-9). */
export async function systemMessages(
  effects: readonly ChatEffect[],
  at: string,
  nameOf: (agentId: string) => Promise<string>,
): Promise<ThreadMessage[]> {
  const messages: ThreadMessage[] = [];
  for (const effect of effects) {
    if (effect.type !== 'agent_joined' && effect.type !== 'agent_left') continue;
    const joined = effect.type === 'agent_joined';
    const name = await nameOf(effect.agentId);
    const messageId = `system-${joined ? 'joined' : 'left'}-${effect.agentId}-${at}`;
    messages.push({
      messageId,
      author: 'system',
      agentId: effect.agentId,
      initials: null,
      text: joined ? `${name} joined the chat.` : `${name} left the chat.`,
      sentAt: at,
      order: threadOrder(at, messageId),
    });
  }
  return messages;
}
