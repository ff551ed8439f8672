import { CHOSEN_AGENT_STATES, type AgentState, type ChosenAgentState } from './agent-state.js';

/**
 * The agent side of one live chat, and the agents it involves, as one state machine (LCH-1 … LCH-10).
 * Every change to a chat or to an agent's desk goes through `decide`, which is pure: the use cases
 * read the chat and the desks it names, call it, and write what it returns in one transaction, so that
 * of two actions that race (an accept and the offer's timeout) exactly one takes effect.
 *
 * Phases: offered → accepted → (conference requested → conference) → ended → wrapped up. From accepted
 * the owner may request a transfer (to an agent, or to a queue whose agent the platform picks): when
 * the receiving agent accepts, they own the chat and the first agent owes a wrap-up; when they decline
 * or let the offer time out, the request is rejected and the chat stays with the first agent. When an
 * asset the chat depends on is deleted, the chat is interrupted and ending it is all that is left.
 * An offer not taken in time is withdrawn and the chat leaves the agent side (the platform re-routes).
 */
export const CHAT_PHASES = [
  'offered',
  'accepted',
  'transfer_requested',
  'conference_requested',
  'conference',
  'interrupted',
  'withdrawn',
  'ended',
  'wrapped_up',
] as const;
export type ChatPhase = (typeof CHAT_PHASES)[number];

/** Phases in which the chat has an owner who answers it. */
export const OWNED_PHASES: readonly ChatPhase[] = [
  'accepted',
  'transfer_requested',
  'conference_requested',
  'conference',
  'interrupted',
];

/** Why an agent was offered the chat: the first assignment, a transfer to them, or a conference invitation. */
export type OfferPurpose = 'assignment' | 'transfer' | 'conference';

export interface PendingOffer {
  offerId: string;
  agentId: string;
  purpose: OfferPurpose;
  offeredAt: string;
  /** When the offer times out: the company's offer timeout after `offeredAt`. */
  expiresAt: string;
}

export type TransferTarget = { type: 'queue'; queueId: string } | { type: 'agent'; agentId: string };

/**
 * A transfer the owner asked for. `offerId` names the request: an agent target is offered the chat
 * under it; a queue target's pick must echo it, and its timeout (scheduled under it) rejects the
 * transfer if the platform never picks anyone.
 */
export interface TransferRequest {
  from: string;
  to: TransferTarget;
  offerId: string;
}

/** The offer a queue transfer's pick makes to the agent picked: its own id, with its own full timeout. */
export const pickedOfferId = (transferOfferId: string) => `${transferOfferId}.picked`;

/** An asset a live chat depends on; deleting it interrupts the chat (LCH-4). */
export interface DeletedAsset {
  kind: 'queue' | 'wrap_up_reason_list' | 'agent';
  id: string;
}

export interface ChatCase {
  sessionId: string;
  phase: ChatPhase;
  /** The one agent who answers the chat; set exactly in the owned phases. */
  owner: string | null;
  /** The agent who shares the chat in a conference (kept if the conference is interrupted). */
  guest: string | null;
  offer: PendingOffer | null;
  /** Set while a transfer is requested. */
  transfer: TransferRequest | null;
  interruption: { asset: DeletedAsset; at: string } | null;
  /** Agents who owe a wrap-up for this chat: after every end, and after a transfer for the first agent. */
  wrapUpOwedBy: string[];
  wrapUps: { agentId: string; reasonId: string; at: string }[];
  /** Every agent who has held or shared the chat: whose desktop may still show it. */
  agents: string[];
  /**
   * The ids of the chat's latest offers and transfer requests (at most `REMEMBERED_OFFERS`): none is
   * used again, so a redelivered assignment or a late accept or timeout of a past offer changes nothing.
   */
  pastOfferIds: string[];
  updatedAt: string;
}

/** How many past offer ids a chat remembers: far more than one chat is ever offered. */
export const REMEMBERED_OFFERS = 50;

/** The actions that name a new offer or transfer request. */
const NAMING_ACTIONS: ReadonlySet<string> = new Set(['offer', 'request_transfer', 'invite']);

/**
 * An agent's desk: their state and the chats they owe a wrap-up for. While a wrap-up is owed the
 * agent is Busy (they may choose Away or Offline, not Available) and is offered nothing; sending the
 * last one makes a Busy agent Available again.
 */
export interface AgentDesk {
  agentId: string;
  state: AgentState;
  wrapUpsOwed: string[];
}

export const newDesk = (agentId: string): AgentDesk => ({ agentId, state: 'offline', wrapUpsOwed: [] });

/** Whether the agent may be offered (and may accept) a chat now. */
export const canTakeOffer = (desk: AgentDesk): boolean =>
  desk.state === 'available' && desk.wrapUpsOwed.length === 0;

export type ChatAction =
  /** The platform assigned the chat to the agent (a first assignment, or the pick of a queue transfer). */
  | { type: 'offer'; sessionId: string; agentId: string; offerId: string; at: string; timeoutMs: number }
  | { type: 'accept'; agentId: string; offerId: string; at: string }
  | { type: 'decline'; agentId: string; offerId: string; at: string }
  | { type: 'offer_timeout'; offerId: string; at: string }
  | { type: 'send_message'; agentId: string; at: string }
  | {
      type: 'request_transfer';
      agentId: string;
      to: TransferTarget;
      offerId: string;
      at: string;
      timeoutMs: number;
    }
  /** The platform found no agent in the queue a transfer was requested to (`offerId` names the request). */
  | { type: 'transfer_failed'; offerId: string; at: string }
  | { type: 'invite'; agentId: string; guestId: string; offerId: string; at: string; timeoutMs: number }
  /** The owner ends the chat; a conference guest leaves it (End conference). */
  | { type: 'end'; agentId: string; at: string }
  /** The customer left or the platform ended the session. */
  | { type: 'session_ended'; at: string }
  | { type: 'interrupt'; asset: DeletedAsset; at: string }
  | { type: 'wrap_up'; agentId: string; reasonId: string; at: string };

/** What the platform or the agent's desktop must be told, or what must be scheduled, after a change. */
export type ChatEffect =
  | { type: 'schedule_offer_timeout'; sessionId: string; offerId: string; agentId: string; at: string }
  /** A transfer to a queue waits for the platform's pick until then; if none comes, it is rejected. */
  | { type: 'schedule_transfer_timeout'; sessionId: string; offerId: string; at: string }
  | {
      type: 'reroute';
      sessionId: string;
      agentId: string;
      reason: 'offer_timed_out' | 'offer_declined' | 'agent_unavailable' | 'asset_deleted';
    }
  | { type: 'agent_state_changed'; agentId: string; state: AgentState }
  | { type: 'transfer_completed'; sessionId: string; from: string; to: string; offerId: string }
  | { type: 'transfer_rejected'; sessionId: string; from: string; to: TransferTarget; offerId: string }
  | { type: 'transfer_requested'; sessionId: string; from: string; to: TransferTarget; offerId: string }
  | { type: 'agent_joined'; sessionId: string; agentId: string }
  | { type: 'agent_left'; sessionId: string; agentId: string }
  | { type: 'end_session'; sessionId: string; agentId: string };

export const CHAT_REFUSALS = [
  'no_chat',
  'offer_gone',
  'not_your_offer',
  'not_available',
  'wrap_up_owed',
  'not_in_chat',
  'not_owner',
  'wrong_phase',
  'interrupted',
  'already_in_chat',
  'no_wrap_up_owed',
  'state_not_choosable',
  'stale_transfer',
  'offer_reused',
] as const;
export type ChatRefusal = (typeof CHAT_REFUSALS)[number];

export type ChatDecision =
  | { ok: true; chat: ChatCase; desks: AgentDesk[]; effects: ChatEffect[] }
  | { ok: false; reason: ChatRefusal; message: string };

const refuse = (reason: ChatRefusal, message: string) => ({ ok: false as const, reason, message });

const addMs = (at: string, ms: number) => new Date(Date.parse(at) + ms).toISOString();
const including = (agents: readonly string[], agentId: string) =>
  agents.includes(agentId) ? [...agents] : [...agents, agentId];
const owing = (desk: AgentDesk, sessionId: string): AgentDesk => ({
  ...desk,
  // The agent stays on the desk's current choice if it is already not Available.
  state: desk.state === 'available' ? 'busy' : desk.state,
  wrapUpsOwed: desk.wrapUpsOwed.includes(sessionId) ? desk.wrapUpsOwed : [...desk.wrapUpsOwed, sessionId],
});
const stateEffects = (before: readonly AgentDesk[], after: readonly AgentDesk[]): ChatEffect[] =>
  after.flatMap((desk) => {
    const was = before.find((d) => d.agentId === desk.agentId);
    return was?.state === desk.state
      ? []
      : [{ type: 'agent_state_changed' as const, agentId: desk.agentId, state: desk.state }];
  });

/** The agents whose desks `decide` reads for `action` on `chat`: load these, pass them in. */
export function agentsInvolved(chat: ChatCase | undefined, action: ChatAction): string[] {
  const ids = new Set<string>();
  if ('agentId' in action) ids.add(action.agentId);
  if (action.type === 'invite') ids.add(action.guestId);
  if (action.type === 'request_transfer' && action.to.type === 'agent') ids.add(action.to.agentId);
  if (chat) {
    if (chat.owner) ids.add(chat.owner);
    if (chat.guest) ids.add(chat.guest);
    if (chat.offer) ids.add(chat.offer.agentId);
  }
  return [...ids];
}

/**
 * The one decision for every change to a chat and the desks it involves. `chat` is undefined before
 * the first offer; `desks` holds (at least) the desks of `agentsInvolved`, a missing one counting as a
 * new, offline desk. Only desks that changed are returned.
 */
export function decide(
  chat: ChatCase | undefined,
  desks: ReadonlyMap<string, AgentDesk>,
  action: ChatAction,
): ChatDecision {
  const desk = (agentId: string) => desks.get(agentId) ?? newDesk(agentId);
  const done = (next: ChatCase, changed: AgentDesk[], effects: ChatEffect[] = []): ChatDecision => {
    const before = changed.map((d) => desk(d.agentId));
    const named = NAMING_ACTIONS.has(action.type) && 'offerId' in action ? action.offerId : undefined;
    const pastOfferIds = [named, next.offer?.offerId]
      .filter((id): id is string => id !== undefined)
      .reduce(including, next.pastOfferIds)
      .slice(-REMEMBERED_OFFERS);
    return {
      ok: true,
      chat: { ...next, pastOfferIds, updatedAt: action.at },
      desks: changed,
      effects: [...effects, ...stateEffects(before, changed)],
    };
  };

  // A new offer or request is never named by a past one (the pick of a queue transfer echoes its request).
  if (
    NAMING_ACTIONS.has(action.type) &&
    'offerId' in action &&
    chat?.pastOfferIds.includes(action.offerId) &&
    !(action.type === 'offer' && chat.transfer?.offerId === action.offerId)
  )
    return refuse('offer_reused', 'This offer id was already used for this chat: it offers nothing again.');

  if (action.type === 'offer') {
    const target = desk(action.agentId);
    if (chat === undefined || chat.phase === 'withdrawn') {
      // A chat withdrawn from one agent may be assigned to another: a new offer starts it afresh.
      const fresh: ChatCase = chat ?? {
        sessionId: action.sessionId,
        phase: 'offered',
        owner: null,
        guest: null,
        offer: null,
        transfer: null,
        interruption: null,
        wrapUpOwedBy: [],
        wrapUps: [],
        agents: [],
        pastOfferIds: [],
        updatedAt: action.at,
      };
      if (!canTakeOffer(target)) {
        return done(
          { ...fresh, phase: 'withdrawn', offer: null },
          [],
          [
            {
              type: 'reroute',
              sessionId: fresh.sessionId,
              agentId: action.agentId,
              reason: 'agent_unavailable',
            },
          ],
        );
      }
      const offer = pendingOffer(action, 'assignment');
      return done(
        { ...fresh, phase: 'offered', offer, agents: including(fresh.agents, action.agentId) },
        [],
        [timeoutEffect(fresh.sessionId, offer)],
      );
    }
    if (chat.phase === 'transfer_requested' && chat.transfer?.to.type === 'queue') {
      // The pick of a queue transfer: only one that echoes the request waiting for it counts.
      if (chat.offer !== null || action.offerId !== chat.transfer.offerId) return refuseStalePick();
      if (action.agentId === chat.owner || !canTakeOffer(target)) return rejectTransfer(chat, done);
      const offer = pendingOffer({ ...action, offerId: pickedOfferId(action.offerId) }, 'transfer');
      return done(
        { ...chat, offer, agents: including(chat.agents, action.agentId) },
        [],
        [timeoutEffect(chat.sessionId, offer)],
      );
    }
    return refuse('wrong_phase', `The chat is ${chat.phase}; it cannot be offered now.`);
  }

  if (chat === undefined) return refuse('no_chat', 'There is no such chat.');

  switch (action.type) {
    case 'accept': {
      const offer = chat.offer;
      if (offer === null || offer.offerId !== action.offerId)
        return refuse('offer_gone', 'This offer is no longer open: it was taken, withdrawn or timed out.');
      if (offer.agentId !== action.agentId)
        return refuse('not_your_offer', 'This offer is for another agent.');
      const taker = desk(action.agentId);
      if (taker.wrapUpsOwed.length > 0)
        return refuse('wrap_up_owed', 'Send the wrap-up of your last chat before accepting another.');
      if (taker.state !== 'available')
        return refuse('not_available', `Only an Available agent can accept; you are ${taker.state}.`);
      if (offer.purpose === 'assignment')
        return done({ ...chat, phase: 'accepted', owner: action.agentId, offer: null }, []);
      if (offer.purpose === 'conference')
        return done(
          { ...chat, phase: 'conference', guest: action.agentId, offer: null },
          [],
          [{ type: 'agent_joined', sessionId: chat.sessionId, agentId: action.agentId }],
        );
      const from = chat.owner!;
      const offerId = chat.transfer?.offerId ?? offer.offerId;
      return done(
        {
          ...chat,
          phase: 'accepted',
          owner: action.agentId,
          offer: null,
          transfer: null,
          wrapUpOwedBy: including(chat.wrapUpOwedBy, from),
        },
        [owing(desk(from), chat.sessionId)],
        [{ type: 'transfer_completed', sessionId: chat.sessionId, from, to: action.agentId, offerId }],
      );
    }

    case 'decline':
    case 'offer_timeout': {
      // A transfer to a queue whose pick never came: its own timeout rejects it.
      if (action.type === 'offer_timeout' && chat.offer === null && chat.transfer?.offerId === action.offerId)
        return rejectTransfer(chat, done);
      const offer = chat.offer;
      if (offer === null || offer.offerId !== action.offerId)
        return refuse('offer_gone', 'This offer is no longer open: it was taken, withdrawn or timed out.');
      if (action.type === 'decline' && offer.agentId !== action.agentId)
        return refuse('not_your_offer', 'This offer is for another agent.');
      const timedOut = action.type === 'offer_timeout';
      const target = desk(offer.agentId);
      const changed = timedOut ? [{ ...target, state: 'rona' as const }] : [];
      if (offer.purpose === 'assignment') {
        return done({ ...chat, phase: 'withdrawn', offer: null }, changed, [
          {
            type: 'reroute',
            sessionId: chat.sessionId,
            agentId: offer.agentId,
            reason: timedOut ? 'offer_timed_out' : 'offer_declined',
          },
        ]);
      }
      if (offer.purpose === 'conference') return done({ ...chat, phase: 'accepted', offer: null }, changed);
      return rejectTransfer(chat, done, changed);
    }

    case 'send_message': {
      if (!OWNED_PHASES.includes(chat.phase)) return refuse('wrong_phase', `The chat is ${chat.phase}.`);
      if (chat.owner !== action.agentId && chat.guest !== action.agentId)
        return refuse('not_in_chat', 'Only the agent who answers the chat (or shares it) can write in it.');
      if (chat.phase === 'interrupted')
        return refuse('interrupted', 'The chat was interrupted: it can only be ended.');
      return done(chat, []);
    }

    case 'request_transfer': {
      if (chat.owner !== action.agentId)
        return refuse('not_owner', 'Only the agent who accepted the chat can transfer it.');
      if (chat.phase === 'interrupted')
        return refuse('interrupted', 'The chat was interrupted: it can only be ended.');
      if (chat.phase !== 'accepted')
        return refuse('wrong_phase', `The chat is ${chat.phase}; it cannot be transferred now.`);
      const transfer: TransferRequest = { from: action.agentId, to: action.to, offerId: action.offerId };
      const requested: ChatEffect = { type: 'transfer_requested', sessionId: chat.sessionId, ...transfer };
      if (action.to.type === 'queue')
        return done(
          { ...chat, phase: 'transfer_requested', transfer },
          [],
          [
            requested,
            {
              type: 'schedule_transfer_timeout',
              sessionId: chat.sessionId,
              offerId: action.offerId,
              at: addMs(action.at, action.timeoutMs),
            },
          ],
        );
      const targetId = action.to.agentId;
      if (targetId === action.agentId) return refuse('already_in_chat', 'You already answer this chat.');
      if (!canTakeOffer(desk(targetId)))
        return refuse('not_available', 'That agent is not available to take the chat.');
      const offer = pendingOffer({ ...action, agentId: targetId }, 'transfer');
      return done(
        { ...chat, phase: 'transfer_requested', transfer, offer, agents: including(chat.agents, targetId) },
        [],
        [requested, timeoutEffect(chat.sessionId, offer)],
      );
    }

    case 'transfer_failed':
      if (chat.phase !== 'transfer_requested' || chat.transfer?.to.type !== 'queue')
        return refuse('wrong_phase', 'No transfer to a queue is waiting for an agent.');
      if (chat.offer !== null || chat.transfer.offerId !== action.offerId) return refuseStalePick();
      return rejectTransfer(chat, done);

    case 'invite': {
      if (chat.owner !== action.agentId)
        return refuse('not_owner', 'Only the agent who accepted the chat can invite another.');
      if (chat.phase === 'interrupted')
        return refuse('interrupted', 'The chat was interrupted: it can only be ended.');
      if (chat.phase !== 'accepted')
        return refuse('wrong_phase', `The chat is ${chat.phase}; no one can be invited now.`);
      if (action.guestId === action.agentId)
        return refuse('already_in_chat', 'You already answer this chat.');
      if (!canTakeOffer(desk(action.guestId)))
        return refuse('not_available', 'That agent is not available to join the chat.');
      const offer = pendingOffer({ ...action, agentId: action.guestId }, 'conference');
      return done(
        { ...chat, phase: 'conference_requested', offer, agents: including(chat.agents, action.guestId) },
        [],
        [timeoutEffect(chat.sessionId, offer)],
      );
    }

    case 'end': {
      if (chat.guest === action.agentId) {
        const phase = chat.phase === 'conference' ? 'accepted' : chat.phase;
        return done(
          { ...chat, phase, guest: null, wrapUpOwedBy: including(chat.wrapUpOwedBy, action.agentId) },
          [owing(desk(action.agentId), chat.sessionId)],
          [{ type: 'agent_left', sessionId: chat.sessionId, agentId: action.agentId }],
        );
      }
      if (chat.owner !== action.agentId)
        return refuse(
          chat.guest === action.agentId ? 'wrong_phase' : 'not_owner',
          'Only the agent who answers the chat can end it.',
        );
      if (!OWNED_PHASES.includes(chat.phase)) return refuse('wrong_phase', `The chat is ${chat.phase}.`);
      return endChat(chat, desk, done, [
        { type: 'end_session', sessionId: chat.sessionId, agentId: action.agentId },
      ]);
    }

    case 'session_ended': {
      if (chat.phase === 'offered') return done({ ...chat, phase: 'withdrawn', offer: null }, []);
      if (!OWNED_PHASES.includes(chat.phase))
        return refuse('wrong_phase', `The chat is already ${chat.phase}.`);
      return endChat(chat, desk, done, []);
    }

    case 'interrupt': {
      const interruption = { asset: action.asset, at: action.at };
      // The platform still holds the customer: an offer no one can take any more is handed back to it.
      if (chat.phase === 'offered' && chat.offer)
        return done(
          { ...chat, phase: 'withdrawn', offer: null, interruption },
          [],
          [
            {
              type: 'reroute',
              sessionId: chat.sessionId,
              agentId: chat.offer.agentId,
              reason: 'asset_deleted',
            },
          ],
        );
      if (!OWNED_PHASES.includes(chat.phase) || chat.phase === 'interrupted')
        return refuse('wrong_phase', `The chat is ${chat.phase}; there is nothing to interrupt.`);
      // A pending invitation or transfer goes with it: only ending is left. The platform, which was told
      // of the transfer request, is told it was rejected.
      const rejected: ChatEffect[] = chat.transfer
        ? [{ type: 'transfer_rejected', sessionId: chat.sessionId, ...chat.transfer }]
        : [];
      return done({ ...chat, phase: 'interrupted', offer: null, transfer: null, interruption }, [], rejected);
    }

    case 'wrap_up': {
      if (!chat.wrapUpOwedBy.includes(action.agentId))
        return refuse('no_wrap_up_owed', 'You owe no wrap-up for this chat.');
      const wrapUpOwedBy = chat.wrapUpOwedBy.filter((id) => id !== action.agentId);
      const wrapUps = [
        ...chat.wrapUps,
        { agentId: action.agentId, reasonId: action.reasonId, at: action.at },
      ];
      const before = desk(action.agentId);
      const remaining = before.wrapUpsOwed.filter((id) => id !== chat.sessionId);
      const after: AgentDesk = {
        ...before,
        wrapUpsOwed: remaining,
        state: remaining.length === 0 && before.state === 'busy' ? 'available' : before.state,
      };
      const phase = chat.phase === 'ended' && wrapUpOwedBy.length === 0 ? 'wrapped_up' : chat.phase;
      return done({ ...chat, phase, wrapUpOwedBy, wrapUps }, [after]);
    }
  }
}

function pendingOffer(
  action: { offerId: string; agentId: string; at: string; timeoutMs: number },
  purpose: OfferPurpose,
): PendingOffer {
  return {
    offerId: action.offerId,
    agentId: action.agentId,
    purpose,
    offeredAt: action.at,
    expiresAt: addMs(action.at, action.timeoutMs),
  };
}

const timeoutEffect = (sessionId: string, offer: PendingOffer): ChatEffect => ({
  type: 'schedule_offer_timeout',
  sessionId,
  offerId: offer.offerId,
  agentId: offer.agentId,
  at: offer.expiresAt,
});

type Done = (next: ChatCase, changed: AgentDesk[], effects?: ChatEffect[]) => ChatDecision;

function rejectTransfer(chat: ChatCase, done: Done, changed: AgentDesk[] = []): ChatDecision {
  const transfer = chat.transfer!;
  return done({ ...chat, phase: 'accepted', offer: null, transfer: null }, changed, [
    { type: 'transfer_rejected', sessionId: chat.sessionId, ...transfer },
  ]);
}

const refuseStalePick = () =>
  refuse(
    'stale_transfer',
    'This pick does not answer the transfer waiting for one: it names another request, or was already received.',
  );

function endChat(
  chat: ChatCase,
  desk: (agentId: string) => AgentDesk,
  done: Done,
  effects: ChatEffect[],
): ChatDecision {
  const present = [chat.owner, chat.guest].filter((id): id is string => id !== null);
  const wrapUpOwedBy = present.reduce(including, chat.wrapUpOwedBy);
  return done(
    { ...chat, phase: 'ended', owner: null, guest: null, offer: null, transfer: null, wrapUpOwedBy },
    present.map((id) => owing(desk(id), chat.sessionId)),
    effects,
  );
}

export type DeskDecision =
  | { ok: true; desk: AgentDesk; changed: boolean; effects: ChatEffect[] }
  | { ok: false; reason: ChatRefusal; message: string };

/** The agent chooses their own state (RONA → Available by hand, LCH-2). */
export function chooseAgentState(desk: AgentDesk, state: ChosenAgentState): DeskDecision {
  if (!(CHOSEN_AGENT_STATES as readonly string[]).includes(state))
    return refuse(
      'state_not_choosable',
      'RONA is set by the system; choose Available, Busy, Away or Offline.',
    );
  if (state === 'available' && desk.wrapUpsOwed.length > 0)
    return refuse('wrap_up_owed', 'Send the wrap-up of your last chat before becoming Available.');
  if (desk.state === state) return { ok: true, desk, changed: false, effects: [] };
  return {
    ok: true,
    desk: { ...desk, state },
    changed: true,
    effects: [{ type: 'agent_state_changed', agentId: desk.agentId, state }],
  };
}
