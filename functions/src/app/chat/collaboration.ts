import { canTakeOffer, type ChatCase, type ChatEffect, type TransferTarget } from '../../domain/chat/chat.js';
import { threadOrder, type ThreadMessage } from '../../domain/chat/views.js';
import { agentsServing } from '../../domain/deflection/decide.js';
import { transferTargets } from '../../domain/deflection/transfers.js';
import { conflict, forbidden, notFound, type AppError } from '../../domain/errors.js';
import type { ChatOutboxItem } from '../../ports/chats.js';
import type { AvailableDesks } from '../../ports/available-desks.js';
import type { PlatformCommand } from '../../ports/platform-commands.js';
import type { AgentPresence } from '../../ports/presence.js';
import type { DeflectionEngine } from '../deflection/engine.js';
import { applyChatAction, flushOutbox, refusalError, type ChatDeps } from './chats.js';

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

/**
 * Refuses after doing what an earlier change of the chat left undone: a retry of a request that took
 * effect (but whose command or timeout failed after the commit) is refused here, and must still finish it.
 */
async function refuseAfterFlush(deps: Pick<CollaborationDeps, 'chat'>, sessionId: string, error: AppError) {
  await flushOutbox(deps.chat, sessionId);
  return error;
}

function acceptedChatRefusal(chat: ChatCase | undefined, agentId: string): AppError | null {
  if (!chat || !chat.agents.includes(agentId)) return notFound('The chat');
  if (chat.offer?.agentId === agentId && chat.owner !== agentId)
    return conflict(
      'not_accepted',
      'Accept the chat first: only an accepted chat can be transferred or shared.',
      { phase: chat.phase },
    );
  if (chat.owner !== agentId)
    return forbidden('not_owner', 'Only the agent who accepted the chat can transfer it or invite another.');
  if (chat.phase === 'interrupted')
    return conflict('interrupted', 'The chat was interrupted: it can only be ended.');
  if (chat.phase !== 'accepted')
    return conflict(
      'not_accepted',
      `The chat is ${chat.phase.replace('_', ' ')}: it can be transferred or shared only once accepted, while no transfer or invitation is pending.`,
      { phase: chat.phase },
    );
  return null;
}

/** The chat, if the caller answers it and it is accepted: transfers and invitations come only then. */
async function acceptedChatOf(deps: CollaborationDeps, agentId: string, sessionId: string) {
  const chat = await deps.chat.chats.getChat(sessionId);
  const refusal = acceptedChatRefusal(chat, agentId);
  if (!chat || refusal) throw await refuseAfterFlush(deps, sessionId, refusal ?? notFound('The chat'));
  return chat;
}

/** Agents who could take the chat now: Available with no wrap-up owed here, and logged in as the platform sees it. */
async function availableAgents(
  deps: CollaborationDeps,
  chat: ChatCase,
  loggedIn: ReadonlySet<string>,
  search?: string,
) {
  const desks = await deps.desks.available();
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

async function queueTargets(
  deps: CollaborationDeps,
  sessionId: string,
  loggedIn: ReadonlySet<string>,
  search?: string,
) {
  const session = await deps.chat.sessions.getSession(sessionId);
  if (!session?.kind || !session.channel) throw notFound('The chat');
  const compiled = await deps.engine.compiled();
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
  const loggedIn = await deps.presence.loggedIn();
  const [queues, agents] = await Promise.all([
    queueTargets(deps, sessionId, loggedIn, search),
    availableAgents(deps, chat, loggedIn, search),
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
  await acceptedChatOf(deps, agentId, sessionId);
  const loggedIn = await deps.presence.loggedIn();
  if (to.type === 'queue') {
    const queues = await queueTargets(deps, sessionId, loggedIn);
    if (!queues.some((q) => q.queueId === to.queueId))
      throw conflict(
        'not_a_transfer_target',
        'That queue cannot take a transfer now: choose one from the list.',
      );
  } else if (!loggedIn.has(to.agentId)) {
    throw conflict(
      'not_available',
      'That agent is not available to take the chat: choose one from the list.',
    );
  }
  // Whether the agent is Available is checked by the state machine, on the desk read in the transaction.
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
 * nobody, which rejects the transfer. `offerId` echoes the request's (from its `chat.transfer`
 * `requested` command): a pick for another request, or one already received, is refused and changes
 * nothing (after finishing what the pick it repeats left undone).
 */
export async function offerQueueTransfer(
  deps: Pick<CollaborationDeps, 'chat'>,
  sessionId: string,
  pick: { offerId: string; agentId: string | null },
): Promise<'offered' | 'rejected'> {
  const at = deps.chat.clock.now().toISOString();
  const chat = await deps.chat.chats.getChat(sessionId);
  if (!chat) throw notFound('The chat');
  // Checked here too, so that a pick can never start a chat afresh (an offer on a withdrawn chat does).
  if (chat.phase !== 'transfer_requested' || chat.transfer?.to.type !== 'queue')
    throw await refuseAfterFlush(
      deps,
      sessionId,
      conflict('stale_transfer', 'No transfer of this chat to a queue is waiting for a pick.', {
        phase: chat.phase,
      }),
    );
  const outcome = await applyChatAction(
    deps.chat,
    sessionId,
    pick.agentId === null
      ? { type: 'transfer_failed', offerId: pick.offerId, at }
      : {
          type: 'offer',
          sessionId,
          agentId: pick.agentId,
          offerId: pick.offerId,
          at,
          timeoutMs: (await deps.chat.settings.read()).offerTimeoutSeconds * 1000,
        },
  );
  if (!outcome.ok) throw refusalError(outcome);
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
  await acceptedChatOf(deps, agentId, sessionId);
  // Whether the agent is Available is checked by the state machine, on the desk read in the transaction.
  if (!(await deps.presence.loggedIn()).has(guestId))
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
  if (!chat || !chat.agents.includes(agentId))
    throw await refuseAfterFlush(deps, sessionId, notFound('The chat'));
  if (chat.phase !== 'conference' || (chat.owner !== agentId && chat.guest !== agentId))
    throw await refuseAfterFlush(
      deps,
      sessionId,
      conflict('not_in_conference', 'You are not in a conference on this chat.', { phase: chat.phase }),
    );
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
    case 'transfer_completed': {
      const status =
        effect.type === 'transfer_requested'
          ? 'requested'
          : effect.type === 'transfer_rejected'
            ? 'rejected'
            : 'completed';
      return [
        command({
          type: 'chat.transfer',
          // One request is requested, then completed or rejected, once each.
          commandId: `transfer-${status}-${effect.offerId}`,
          sessionId: effect.sessionId,
          status,
          offerId: effect.offerId,
          from: effect.from,
          to: effect.type === 'transfer_completed' ? { type: 'agent', agentId: effect.to } : effect.to,
        }),
      ];
    }
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
