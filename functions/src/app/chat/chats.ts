import {
  agentsInvolved,
  chooseAgentState,
  decide,
  newDesk,
  type AgentDesk,
  type ChatAction,
  type ChatCase,
  type ChatEffect,
  type ChatRefusal,
} from '../../domain/chat/chat.js';
import type { ChosenAgentState } from '../../domain/chat/agent-state.js';
import { viewFor, type ChatDetails, type ThreadMessage, maskedMessage } from '../../domain/chat/views.js';
import { conflict, forbidden, notFound, type AppError } from '../../domain/errors.js';
import type { SessionProfile } from '../../domain/sessions/profile.js';
import type { Session } from '../../domain/sessions/session.js';
import type {
  ChatOutboxItem,
  ChatSettingsStore,
  ChatStore,
  OfferTimeouts,
  SessionThreadSource,
  WrapUpReasonStore,
} from '../../ports/chats.js';
import type { Clock } from '../../ports/clock.js';
import type { PeopleDirectory } from '../../ports/people.js';
import type { PlatformCommand, PlatformCommands } from '../../ports/platform-commands.js';
import type { PrivacySettingsStore } from '../../ports/privacy-settings.js';
import { collaborationCommands, systemMessages } from './collaboration.js';

/**
 * Live chat, the agent's side: every change goes through the chat state machine (domain/chat/chat.ts)
 * in one transaction over the chat, the desks of the agents it involves and the documents made for
 * them; what the change asks of the platform or of the task queue is written with it (the outbox) and
 * done after the commit, by this attempt or, if it fails, by the next one.
 */
export interface ChatDeps {
  chats: ChatStore;
  sessions: { getSession(sessionId: string): Promise<Session | undefined> };
  thread: SessionThreadSource;
  people: Pick<PeopleDirectory, 'getPerson'>;
  privacy: PrivacySettingsStore;
  settings: ChatSettingsStore;
  wrapUpReasons: WrapUpReasonStore;
  timeouts: OfferTimeouts;
  commands: PlatformCommands;
  clock: Clock;
  newId: () => string;
}

export type ChatOutcome = { ok: true; chat: ChatCase } | { ok: false; reason: ChatRefusal; message: string };

/** How a refusal of the state machine is answered to the agent who asked. */
export function refusalError(outcome: { reason: ChatRefusal; message: string }): AppError {
  switch (outcome.reason) {
    case 'no_chat':
      return notFound('The chat');
    case 'not_your_offer':
    case 'not_in_chat':
    case 'not_owner':
      return forbidden(outcome.reason, outcome.message);
    default:
      return conflict(outcome.reason, outcome.message);
  }
}

/**
 * What the agents' views show of the session. The profile flags are not taken from `session` but
 * passed in, read within the chat's transaction: a flag may change after `session` was read, and the
 * views written must not carry an older one.
 */
function detailsOf(deps: ChatDeps, sessionId: string, session: Session | undefined) {
  const queueId = session?.queue?.id ?? null;
  const details = async (agentId: string, profile: SessionProfile): Promise<ChatDetails> => ({
    customerName: session?.consumer?.name ?? null,
    customerId: session?.consumer?.id ?? sessionId,
    // The queue as the customer chose it: the last step of their menu path.
    queueName: session?.queue?.menuPath.at(-1) ?? '',
    agentName: (await deps.people.getPerson(agentId))?.name ?? agentId,
    createdAt: session?.createdAt ?? deps.clock.now().toISOString(),
    profile,
  });
  return { queueId, details };
}

const outboxFor = (effects: readonly ChatEffect[], at: string): ChatOutboxItem[] =>
  effects.flatMap((effect): ChatOutboxItem[] => {
    switch (effect.type) {
      case 'schedule_offer_timeout':
      case 'schedule_transfer_timeout':
        return [
          {
            id: `timeout-${effect.offerId}`,
            type: 'offer_timeout',
            sessionId: effect.sessionId,
            offerId: effect.offerId,
            at: effect.at,
          },
        ];
      case 'reroute':
        return [
          command({
            type: 'chat.reroute',
            commandId: `reroute-${effect.sessionId}-${effect.agentId}-${at}`,
            sessionId: effect.sessionId,
            agentId: effect.agentId,
            reason: effect.reason,
          }),
        ];
      case 'end_session':
        return [
          command({
            type: 'session.end',
            commandId: `end-${effect.sessionId}-${effect.agentId}`,
            sessionId: effect.sessionId,
            requestedBy: effect.agentId,
            reason: 'agent_ended',
          }),
        ];
      default:
        return collaborationCommands(effect, at);
    }
  });

const command = (c: PlatformCommand): ChatOutboxItem => ({ id: c.commandId, type: 'command', command: c });

const stateCommand = (desk: AgentDesk, at: string, sessionId: string | null): ChatOutboxItem =>
  command({
    type: 'agent.state',
    commandId: `state-${desk.agentId}-${desk.state}-${at}`,
    agentId: desk.agentId,
    state: desk.state,
    at,
    sessionId,
  });

/** Thread messages go to these agents: whoever is offered, answers or shares the chat. */
const followers = (chat: ChatCase) =>
  [chat.owner, chat.guest, chat.offer?.agentId].filter((id): id is string => typeof id === 'string');

/**
 * Applies one action to a chat: decides, writes the chat, the desks and every involved agent's view,
 * and the outbox; then does the outbox. A refusal writes nothing (the outbox is still done: a retry of
 * an action that took effect finds it refused, and finishes what the first attempt left).
 */
export async function applyChatAction(
  deps: ChatDeps,
  sessionId: string,
  action: ChatAction,
): Promise<ChatOutcome> {
  const [session, privacy] = await Promise.all([deps.sessions.getSession(sessionId), deps.privacy.read()]);
  const { queueId, details } = detailsOf(deps, sessionId, session);
  const mask = privacy.maskSensitiveData;
  const outcome = await deps.chats.inTransaction(async (tx): Promise<ChatOutcome> => {
    const before = await tx.getChat(sessionId);
    const desks = await tx.getDesks(agentsInvolved(before, action));
    const decision = decide(before, desks, action);
    if (!decision.ok) return decision;
    const { chat } = decision;
    // A new offer carries the thread so far (LCH-1): read here so that a retry reads it again, after
    // the thread mark, so that a message added meanwhile is either read here or waits for this commit.
    const offered = decision.effects.flatMap((e) => (e.type === 'schedule_offer_timeout' ? [e.agentId] : []));
    if (offered.length > 0) await tx.readThreadMark(sessionId);
    const thread = offered.length > 0 ? await deps.thread.messagesOf(sessionId) : [];
    // Read last: every session event writes the session, so it is held for the shortest time.
    const profile = await tx.getSessionProfile(sessionId);
    tx.putChat(chat, queueId);
    for (const desk of decision.desks) tx.putDesk(desk);
    const viewers = new Set([...(before?.agents ?? []), ...chat.agents]);
    for (const agentId of viewers)
      tx.putView(agentId, viewFor(chat, agentId, await details(agentId, profile), mask));
    const system = await systemMessages(
      decision.effects,
      action.at,
      async (agentId) => (await details(agentId, profile)).agentName,
    );
    if (system.length > 0)
      for (const agentId of followers(chat)) tx.putThreadMessages(agentId, sessionId, system);
    for (const agentId of offered)
      tx.putThreadMessages(
        agentId,
        sessionId,
        thread.map((m) => maskedMessage(m, mask)),
      );
    const states = decision.desks
      .filter((d) => d.state !== (desks.get(d.agentId) ?? newDesk(d.agentId)).state)
      .map((d) => stateCommand(d, action.at, sessionId));
    tx.putOutbox(sessionId, [...outboxFor(decision.effects, action.at), ...states]);
    return { ok: true, chat };
  });
  await flushOutbox(deps, sessionId);
  return outcome;
}

/**
 * The session changed what the agents' views show of it (a profile flag, RDP-2) but not the chat:
 * every view of the chat is made again from `session`, the session as its event left it, with the
 * flags as they are when the views are written.
 */
export async function refreshChatViews(deps: ChatDeps, session: Session): Promise<void> {
  const { maskSensitiveData } = await deps.privacy.read();
  const { details } = detailsOf(deps, session.id, session);
  await deps.chats.inTransaction(async (tx) => {
    const chat = await tx.getChat(session.id);
    if (!chat) return;
    const profile = await tx.getSessionProfile(session.id);
    for (const agentId of chat.agents)
      tx.putView(agentId, viewFor(chat, agentId, await details(agentId, profile), maskSensitiveData));
  });
}

/** Does what committed changes left to do, oldest first; each item is removed once done. */
export async function flushOutbox(
  deps: Pick<ChatDeps, 'chats' | 'commands' | 'timeouts'>,
  sessionId: string,
) {
  for (const item of await deps.chats.outbox(sessionId)) {
    if (item.type === 'command') await deps.commands.publish(item.command);
    else await deps.timeouts.schedule(item.sessionId, item.offerId, new Date(item.at));
    await deps.chats.outboxDone(sessionId, item.id);
  }
}

const orThrow = (outcome: ChatOutcome): ChatCase => {
  if (!outcome.ok) throw refusalError(outcome);
  return outcome.chat;
};

/** LCH-1: the platform assigned a chat to an agent; they are offered it, with the company's timeout. */
export async function offerChat(
  deps: ChatDeps,
  offer: { sessionId: string; agentId: string; offerId: string; at: Date },
): Promise<ChatOutcome> {
  const { offerTimeoutSeconds } = await deps.settings.read();
  return applyChatAction(deps, offer.sessionId, {
    type: 'offer',
    sessionId: offer.sessionId,
    agentId: offer.agentId,
    offerId: offer.offerId,
    at: offer.at.toISOString(),
    timeoutMs: offerTimeoutSeconds * 1000,
  });
}

/** LCH-2: the agent accepts an offer (only when Available); of an accept and a timeout, one wins. */
export async function acceptOffer(deps: ChatDeps, agentId: string, sessionId: string, offerId: string) {
  const at = deps.clock.now().toISOString();
  return orThrow(await applyChatAction(deps, sessionId, { type: 'accept', agentId, offerId, at }));
}

export async function declineOffer(deps: ChatDeps, agentId: string, sessionId: string, offerId: string) {
  const at = deps.clock.now().toISOString();
  return orThrow(await applyChatAction(deps, sessionId, { type: 'decline', agentId, offerId, at }));
}

/**
 * The offer's scheduled timeout (a task): the offer is withdrawn and the agent goes to RONA, unless
 * it was taken or withdrawn first, in which case nothing changes (a redelivered task is harmless).
 */
export async function timeOutOffer(
  deps: ChatDeps,
  sessionId: string,
  offerId: string,
): Promise<'timed_out' | 'already_settled'> {
  const at = deps.clock.now().toISOString();
  const outcome = await applyChatAction(deps, sessionId, { type: 'offer_timeout', offerId, at });
  return outcome.ok ? 'timed_out' : 'already_settled';
}

/** LCH-2: the agent chooses their own state (from RONA back to Available by hand). */
export async function setAgentState(deps: ChatDeps, agentId: string, state: ChosenAgentState) {
  const at = deps.clock.now().toISOString();
  const key = `desk-${agentId}`;
  const result = await deps.chats.inTransaction(async (tx) => {
    const desk = (await tx.getDesks([agentId])).get(agentId) ?? newDesk(agentId);
    const decision = chooseAgentState(desk, state);
    if (!decision.ok) throw refusalError(decision);
    if (decision.changed) {
      tx.putDesk(decision.desk);
      tx.putOutbox(key, [stateCommand(decision.desk, at, null)]);
    }
    return decision.desk;
  });
  await flushOutbox(deps, key);
  return result;
}

export async function readDesk(deps: ChatDeps, agentId: string): Promise<AgentDesk> {
  return (await deps.chats.getDesk(agentId)) ?? newDesk(agentId);
}

/**
 * A message of the session reached us (`message.sent`, stored first): it joins the thread of every
 * agent who follows the chat, masked as the company's settings ask. The thread mark is written too,
 * even before the chat exists: an offer being made at the same moment read the mark before the
 * thread, so either it read this message or this waits for it and finds its agent among the followers.
 */
export async function addToThread(deps: ChatDeps, sessionId: string, message: ThreadMessage) {
  const { maskSensitiveData } = await deps.privacy.read();
  await deps.chats.inTransaction(async (tx) => {
    const chat = await tx.getChat(sessionId);
    tx.markThread(sessionId, message.messageId);
    if (!chat) return;
    for (const agentId of followers(chat))
      tx.putThreadMessages(agentId, sessionId, [maskedMessage(message, maskSensitiveData)]);
  });
}
