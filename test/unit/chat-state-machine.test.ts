import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHOSEN_AGENT_STATES } from '../../functions/src/domain/chat/agent-state.js';
import {
  agentsInvolved,
  canTakeOffer,
  chooseAgentState,
  decide,
  newDesk,
  OWNED_PHASES,
  pickedOfferId,
  REMEMBERED_OFFERS,
  type AgentDesk,
  type ChatAction,
  type ChatCase,
  type ChatDecision,
} from '../../functions/src/domain/chat/chat.js';

const T0 = Date.UTC(2026, 11, 3, 9, 0, 0);
const at = (second: number) => new Date(T0 + second * 1000).toISOString();
const TIMEOUT = 30_000;

const available = (agentId: string): AgentDesk => ({ agentId, state: 'available', wrapUpsOwed: [] });
const desksOf = (...desks: AgentDesk[]) => new Map(desks.map((d) => [d.agentId, d]));

function must(decision: ChatDecision) {
  if (!decision.ok) throw new Error(`refused: ${decision.reason}`);
  return decision;
}

/** Applies a decision's desks to a map of desks, as the use case writes them. */
function withDesks(desks: Map<string, AgentDesk>, changed: readonly AgentDesk[]) {
  const next = new Map(desks);
  for (const d of changed) next.set(d.agentId, d);
  return next;
}

function offered(agentId = 'ann', desks = desksOf(available('ann'), available('bob'), available('cy'))) {
  const d = must(
    decide(undefined, desks, {
      type: 'offer',
      sessionId: 'S',
      agentId,
      offerId: 'o1',
      at: at(0),
      timeoutMs: TIMEOUT,
    }),
  );
  return { chat: d.chat, desks: withDesks(desks, d.desks), decision: d };
}

function accepted() {
  const start = offered();
  const d = must(
    decide(start.chat, start.desks, { type: 'accept', agentId: 'ann', offerId: 'o1', at: at(5) }),
  );
  return { chat: d.chat, desks: withDesks(start.desks, d.desks) };
}

describe('the chat state machine, example by example', () => {
  it('when the platform assigns a chat to an Available agent, then the agent is offered it with a timeout to schedule', () => {
    const { chat, decision } = offered();
    expect(chat.phase).toBe('offered');
    expect(chat.offer).toMatchObject({ agentId: 'ann', purpose: 'assignment', expiresAt: at(30) });
    expect(decision.effects).toContainEqual({
      type: 'schedule_offer_timeout',
      sessionId: 'S',
      offerId: 'o1',
      agentId: 'ann',
      at: at(30),
    });
  });

  it('when the agent accepts, then they own the chat; the offer cannot then time out', () => {
    const { chat, desks } = accepted();
    expect(chat).toMatchObject({ phase: 'accepted', owner: 'ann', offer: null });
    const late = decide(chat, desks, { type: 'offer_timeout', offerId: 'o1', at: at(30) });
    expect(late).toMatchObject({ ok: false, reason: 'offer_gone' });
  });

  it('when the offer times out, then it is withdrawn, the agent goes to RONA, the platform re-routes, and a late accept is refused', () => {
    const start = offered();
    const d = must(decide(start.chat, start.desks, { type: 'offer_timeout', offerId: 'o1', at: at(30) }));
    expect(d.chat.phase).toBe('withdrawn');
    expect(d.desks).toEqual([{ agentId: 'ann', state: 'rona', wrapUpsOwed: [] }]);
    expect(d.effects).toContainEqual({
      type: 'reroute',
      sessionId: 'S',
      agentId: 'ann',
      reason: 'offer_timed_out',
    });
    expect(d.effects).toContainEqual({ type: 'agent_state_changed', agentId: 'ann', state: 'rona' });
    const desks = withDesks(start.desks, d.desks);
    expect(
      decide(d.chat, desks, { type: 'accept', agentId: 'ann', offerId: 'o1', at: at(31) }),
    ).toMatchObject({
      ok: false,
      reason: 'offer_gone',
    });
  });

  it('when an agent in RONA is offered a chat, then the offer is refused and re-routed until they choose Available by hand', () => {
    const rona = { agentId: 'ann', state: 'rona' as const, wrapUpsOwed: [] };
    const d = must(
      decide(undefined, desksOf(rona), {
        type: 'offer',
        sessionId: 'S',
        agentId: 'ann',
        offerId: 'o1',
        at: at(0),
        timeoutMs: TIMEOUT,
      }),
    );
    expect(d.chat.phase).toBe('withdrawn');
    expect(d.effects).toContainEqual({
      type: 'reroute',
      sessionId: 'S',
      agentId: 'ann',
      reason: 'agent_unavailable',
    });
    const back = chooseAgentState(rona, 'available');
    expect(back).toMatchObject({ ok: true, desk: { state: 'available' } });
    expect(chooseAgentState(available('ann'), 'rona' as never)).toMatchObject({
      ok: false,
      reason: 'state_not_choosable',
    });
  });

  it('when an agent who is not Available tries to accept an open offer, then it is refused', () => {
    const start = offered();
    const away = withDesks(start.desks, [{ agentId: 'ann', state: 'away', wrapUpsOwed: [] }]);
    expect(
      decide(start.chat, away, { type: 'accept', agentId: 'ann', offerId: 'o1', at: at(3) }),
    ).toMatchObject({
      ok: false,
      reason: 'not_available',
    });
    expect(
      decide(start.chat, start.desks, { type: 'accept', agentId: 'bob', offerId: 'o1', at: at(3) }),
    ).toMatchObject({
      ok: false,
      reason: 'not_your_offer',
    });
  });

  it('when the owner ends the chat, then they owe a wrap-up, are Busy, cannot become Available or be offered until they send it', () => {
    const { chat, desks } = accepted();
    const ended = must(decide(chat, desks, { type: 'end', agentId: 'ann', at: at(60) }));
    expect(ended.chat).toMatchObject({ phase: 'ended', owner: null, wrapUpOwedBy: ['ann'] });
    expect(ended.desks).toEqual([{ agentId: 'ann', state: 'busy', wrapUpsOwed: ['S'] }]);
    expect(ended.effects).toContainEqual({ type: 'end_session', sessionId: 'S', agentId: 'ann' });
    const after = withDesks(desks, ended.desks);
    expect(chooseAgentState(after.get('ann')!, 'available')).toMatchObject({
      ok: false,
      reason: 'wrap_up_owed',
    });
    const next = decide(undefined, after, {
      type: 'offer',
      sessionId: 'S2',
      agentId: 'ann',
      offerId: 'o2',
      at: at(61),
      timeoutMs: TIMEOUT,
    });
    expect(next).toMatchObject({ ok: true, chat: { phase: 'withdrawn' } });
    const wrapped = must(
      decide(ended.chat, after, { type: 'wrap_up', agentId: 'ann', reasonId: 'resolved', at: at(70) }),
    );
    expect(wrapped.chat).toMatchObject({ phase: 'wrapped_up', wrapUpOwedBy: [] });
    expect(wrapped.desks).toEqual([{ agentId: 'ann', state: 'available', wrapUpsOwed: [] }]);
    expect(
      decide(wrapped.chat, withDesks(after, wrapped.desks), {
        type: 'wrap_up',
        agentId: 'ann',
        reasonId: 'resolved',
        at: at(71),
      }),
    ).toMatchObject({
      ok: false,
      reason: 'no_wrap_up_owed',
    });
  });

  it('when a transfer to an agent is accepted, then the receiver owns the chat and the first agent owes a wrap-up and can no longer write', () => {
    const { chat, desks } = accepted();
    const asked = must(
      decide(chat, desks, {
        type: 'request_transfer',
        agentId: 'ann',
        to: { type: 'agent', agentId: 'bob' },
        offerId: 'o2',
        at: at(10),
        timeoutMs: TIMEOUT,
      }),
    );
    expect(asked.chat).toMatchObject({
      phase: 'transfer_requested',
      offer: { agentId: 'bob', purpose: 'transfer' },
    });
    const done = must(
      decide(asked.chat, desks, { type: 'accept', agentId: 'bob', offerId: 'o2', at: at(12) }),
    );
    expect(done.chat).toMatchObject({
      phase: 'accepted',
      owner: 'bob',
      wrapUpOwedBy: ['ann'],
      transfer: null,
    });
    const after = withDesks(desks, done.desks);
    expect(decide(done.chat, after, { type: 'send_message', agentId: 'ann', at: at(13) })).toMatchObject({
      ok: false,
      reason: 'not_in_chat',
    });
  });

  it('when the receiving agent lets a transfer time out, then the transfer is rejected and the chat stays with the first agent', () => {
    const { chat, desks } = accepted();
    const asked = must(
      decide(chat, desks, {
        type: 'request_transfer',
        agentId: 'ann',
        to: { type: 'agent', agentId: 'bob' },
        offerId: 'o2',
        at: at(10),
        timeoutMs: TIMEOUT,
      }),
    );
    const timedOut = must(decide(asked.chat, desks, { type: 'offer_timeout', offerId: 'o2', at: at(40) }));
    expect(timedOut.chat).toMatchObject({
      phase: 'accepted',
      owner: 'ann',
      offer: null,
      transfer: null,
      wrapUpOwedBy: [],
    });
    expect(timedOut.effects).toContainEqual({
      type: 'transfer_rejected',
      sessionId: 'S',
      from: 'ann',
      to: { type: 'agent', agentId: 'bob' },
      offerId: 'o2',
    });
    expect(timedOut.desks).toEqual([{ agentId: 'bob', state: 'rona', wrapUpsOwed: [] }]);
  });

  it('when an invited agent accepts, then the chat is a conference both may write in, with a joined message; ending it owes both a wrap-up', () => {
    const { chat, desks } = accepted();
    const invited = must(
      decide(chat, desks, {
        type: 'invite',
        agentId: 'ann',
        guestId: 'cy',
        offerId: 'o3',
        at: at(10),
        timeoutMs: TIMEOUT,
      }),
    );
    expect(invited.chat.phase).toBe('conference_requested');
    expect(decide(invited.chat, desks, { type: 'send_message', agentId: 'cy', at: at(11) })).toMatchObject({
      ok: false,
    });
    const joined = must(
      decide(invited.chat, desks, { type: 'accept', agentId: 'cy', offerId: 'o3', at: at(12) }),
    );
    expect(joined.chat).toMatchObject({ phase: 'conference', owner: 'ann', guest: 'cy' });
    expect(joined.effects).toContainEqual({ type: 'agent_joined', sessionId: 'S', agentId: 'cy' });
    expect(decide(joined.chat, desks, { type: 'send_message', agentId: 'cy', at: at(13) }).ok).toBe(true);
    const ended = must(decide(joined.chat, desks, { type: 'end', agentId: 'ann', at: at(20) }));
    expect(ended.chat.wrapUpOwedBy).toEqual(['ann', 'cy']);
  });

  it('when the queue of an offered chat is deleted, then the offer is withdrawn and the platform is asked to re-route the chat', () => {
    const { chat, desks } = offered();
    const cut = must(
      decide(chat, desks, { type: 'interrupt', asset: { kind: 'queue', id: 'q1' }, at: at(5) }),
    );
    expect(cut.chat).toMatchObject({ phase: 'withdrawn', offer: null });
    expect(cut.effects).toContainEqual({
      type: 'reroute',
      sessionId: 'S',
      agentId: 'ann',
      reason: 'asset_deleted',
    });
  });

  it('when the queue of a chat with a transfer pending is deleted, then the platform is told the transfer is rejected', () => {
    const { chat, desks } = accepted();
    const to = { type: 'queue' as const, queueId: 'q2' };
    const requested = must(
      decide(chat, desks, {
        type: 'request_transfer',
        agentId: 'ann',
        to,
        offerId: 'o9',
        at: at(10),
        timeoutMs: TIMEOUT,
      }),
    );
    const cut = must(
      decide(requested.chat, withDesks(desks, requested.desks), {
        type: 'interrupt',
        asset: { kind: 'queue', id: 'q1' },
        at: at(11),
      }),
    );
    expect(cut.chat).toMatchObject({ phase: 'interrupted', transfer: null });
    expect(cut.effects).toContainEqual({
      type: 'transfer_rejected',
      sessionId: 'S',
      from: 'ann',
      to,
      offerId: 'o9',
    });
  });

  it('when a chat is transferred to a queue, then only the pick that echoes the request offers it, once, and a replayed or stale pick changes nothing', () => {
    const { chat, desks } = accepted();
    const to = { type: 'queue' as const, queueId: 'q2' };
    const requested = must(
      decide(chat, desks, {
        type: 'request_transfer',
        agentId: 'ann',
        to,
        offerId: 'o9',
        at: at(10),
        timeoutMs: TIMEOUT,
      }),
    );
    expect(requested.chat.transfer).toEqual({ from: 'ann', to, offerId: 'o9' });
    expect(requested.effects).toContainEqual({
      type: 'transfer_requested',
      sessionId: 'S',
      from: 'ann',
      to,
      offerId: 'o9',
    });
    expect(requested.effects).toContainEqual({
      type: 'schedule_transfer_timeout',
      sessionId: 'S',
      offerId: 'o9',
      at: at(40),
    });
    const pick = (offerId: string, agentId = 'bob') =>
      ({ type: 'offer', sessionId: 'S', agentId, offerId, at: at(12), timeoutMs: TIMEOUT }) as const;
    for (const stale of [pick('o8'), { type: 'transfer_failed' as const, offerId: 'o8', at: at(12) }])
      expect(decide(requested.chat, desks, stale)).toMatchObject({ ok: false, reason: 'stale_transfer' });

    const picked = must(decide(requested.chat, desks, pick('o9')));
    expect(picked.chat.offer).toMatchObject({ offerId: 'o9.picked', agentId: 'bob', expiresAt: at(42) });
    for (const replay of [
      pick('o9'),
      pick('o9', 'cy'),
      { type: 'transfer_failed' as const, offerId: 'o9', at: at(13) },
    ])
      expect(decide(picked.chat, desks, replay)).toMatchObject({ ok: false, reason: 'stale_transfer' });
    // The request's own timeout no longer counts once the pick's offer has its own.
    expect(decide(picked.chat, desks, { type: 'offer_timeout', offerId: 'o9', at: at(40) })).toMatchObject({
      ok: false,
      reason: 'offer_gone',
    });
    const done = must(
      decide(picked.chat, desks, { type: 'accept', agentId: 'bob', offerId: 'o9.picked', at: at(14) }),
    );
    expect(done.chat).toMatchObject({ phase: 'accepted', owner: 'bob', transfer: null });
    expect(done.effects).toContainEqual({
      type: 'transfer_completed',
      sessionId: 'S',
      from: 'ann',
      to: 'bob',
      offerId: 'o9',
    });
  });

  it('when the platform never picks anyone for a queue transfer, then the request’s timeout rejects it and the chat stays', () => {
    const { chat, desks } = accepted();
    const to = { type: 'queue' as const, queueId: 'q2' };
    const requested = must(
      decide(chat, desks, {
        type: 'request_transfer',
        agentId: 'ann',
        to,
        offerId: 'o9',
        at: at(10),
        timeoutMs: TIMEOUT,
      }),
    );
    const timedOut = must(
      decide(requested.chat, desks, { type: 'offer_timeout', offerId: 'o9', at: at(40) }),
    );
    expect(timedOut.chat).toMatchObject({ phase: 'accepted', owner: 'ann', transfer: null, offer: null });
    expect(timedOut.desks).toEqual([]);
    expect(timedOut.effects).toContainEqual({
      type: 'transfer_rejected',
      sessionId: 'S',
      from: 'ann',
      to,
      offerId: 'o9',
    });
    // A pick that comes after is stale.
    expect(
      decide(timedOut.chat, desks, {
        type: 'offer',
        sessionId: 'S',
        agentId: 'bob',
        offerId: 'o9',
        at: at(41),
        timeoutMs: TIMEOUT,
      }),
    ).toMatchObject({ ok: false });
  });

  it('when an offer that was withdrawn is made again under its id (a redelivered assignment), then nothing changes; a new id offers it', () => {
    const start = offered();
    const timedOut = must(
      decide(start.chat, start.desks, { type: 'offer_timeout', offerId: 'o1', at: at(30) }),
    );
    expect(timedOut.chat.pastOfferIds).toEqual(['o1']);
    const back = withDesks(start.desks, [available('ann')]);
    const again = {
      type: 'offer',
      sessionId: 'S',
      agentId: 'ann',
      offerId: 'o1',
      at: at(40),
      timeoutMs: TIMEOUT,
    } as const;
    expect(decide(timedOut.chat, back, again)).toMatchObject({ ok: false, reason: 'offer_reused' });
    const next = must(decide(timedOut.chat, back, { ...again, offerId: 'o2' }));
    expect(next.chat).toMatchObject({
      phase: 'offered',
      offer: { offerId: 'o2' },
      pastOfferIds: ['o1', 'o2'],
    });
    // A late timeout of the first offer does not touch the second.
    expect(decide(next.chat, back, { type: 'offer_timeout', offerId: 'o1', at: at(45) })).toMatchObject({
      ok: false,
      reason: 'offer_gone',
    });
  });

  it('when a chat is offered more often than it remembers, then it remembers the latest ids', () => {
    const start = offered();
    const desks = start.desks;
    let chat = start.chat;
    for (let i = 2; i <= REMEMBERED_OFFERS + 5; i++) {
      chat = must(
        decide(chat, desks, { type: 'decline', agentId: 'ann', offerId: `o${i - 1}`, at: at(i) }),
      ).chat;
      chat = must(
        decide(chat, desks, {
          type: 'offer',
          sessionId: 'S',
          agentId: 'ann',
          offerId: `o${i}`,
          at: at(i),
          timeoutMs: TIMEOUT,
        }),
      ).chat;
    }
    expect(chat.pastOfferIds).toHaveLength(REMEMBERED_OFFERS);
    expect(chat.pastOfferIds.at(-1)).toBe(`o${REMEMBERED_OFFERS + 5}`);
  });

  it('when the queue of a live chat is deleted, then the chat is interrupted and can only be ended', () => {
    const { chat, desks } = accepted();
    const cut = must(
      decide(chat, desks, { type: 'interrupt', asset: { kind: 'queue', id: 'q1' }, at: at(10) }),
    );
    expect(cut.chat).toMatchObject({
      phase: 'interrupted',
      owner: 'ann',
      interruption: { asset: { kind: 'queue', id: 'q1' } },
    });
    for (const action of [
      { type: 'send_message', agentId: 'ann', at: at(11) },
      {
        type: 'request_transfer',
        agentId: 'ann',
        to: { type: 'queue', queueId: 'q2' },
        offerId: 'o9',
        at: at(11),
        timeoutMs: TIMEOUT,
      },
      { type: 'invite', agentId: 'ann', guestId: 'bob', offerId: 'o9', at: at(11), timeoutMs: TIMEOUT },
    ] satisfies ChatAction[])
      expect(decide(cut.chat, desks, action)).toMatchObject({ ok: false, reason: 'interrupted' });
    expect(must(decide(cut.chat, desks, { type: 'end', agentId: 'ann', at: at(12) })).chat.phase).toBe(
      'ended',
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Random sequences of agent actions, platform events and timeouts, checked against the invariants.

const AGENTS = ['ann', 'bob', 'cy', 'dee'];
const SESSIONS = ['S1', 'S2', 'S3'];

interface World {
  chats: Map<string, ChatCase>;
  desks: Map<string, AgentDesk>;
  second: number;
  nextOffer: number;
}

const Step = fc.record({
  kind: fc.nat(13),
  session: fc.nat(SESSIONS.length - 1),
  agent: fc.nat(AGENTS.length - 1),
  other: fc.nat(AGENTS.length - 1),
  pickOpenOffer: fc.boolean(),
  /** Name the action's offer by one the chat used before (a redelivery, a late task or click). */
  reusePastOffer: fc.boolean(),
  state: fc.constantFrom(...CHOSEN_AGENT_STATES),
});
type Step = typeof Step extends fc.Arbitrary<infer T> ? T : never;

function actionFor(
  world: World,
  step: Step,
): ChatAction | { type: 'choose_state'; agentId: string; state: (typeof CHOSEN_AGENT_STATES)[number] } {
  const sessionId = SESSIONS[step.session]!;
  const chat = world.chats.get(sessionId);
  const agentId = AGENTS[step.agent]!;
  const other = AGENTS[step.other]!;
  const time = at(world.second);
  const past = chat?.pastOfferIds ?? [];
  const pastOffer = step.reusePastOffer && past.length > 0 ? past[step.other % past.length]! : undefined;
  const offerId = () => pastOffer ?? `o${world.nextOffer++}`;
  // Mostly act on the offer that is open, sometimes on a stale or foreign one.
  const openOffer = step.pickOpenOffer && !pastOffer && chat?.offer ? chat.offer : null;
  // The pick of a queue transfer mostly echoes the request, sometimes a stale one.
  const request = step.pickOpenOffer && chat?.transfer ? chat.transfer.offerId : (pastOffer ?? 'o-stale');
  switch (step.kind) {
    case 0:
      return { type: 'offer', sessionId, agentId, offerId: offerId(), at: time, timeoutMs: TIMEOUT };
    case 1:
      return chat?.transfer
        ? { type: 'offer', sessionId, agentId, offerId: request, at: time, timeoutMs: TIMEOUT }
        : { type: 'offer', sessionId, agentId, offerId: offerId(), at: time, timeoutMs: TIMEOUT };
    case 2:
    case 3:
      return {
        type: 'accept',
        agentId: openOffer?.agentId ?? agentId,
        offerId: openOffer?.offerId ?? pastOffer ?? 'o-stale',
        at: time,
      };
    case 4:
      return { type: 'offer_timeout', offerId: openOffer?.offerId ?? pastOffer ?? request, at: time };
    case 5:
      return {
        type: 'decline',
        agentId: openOffer?.agentId ?? agentId,
        offerId: openOffer?.offerId ?? pastOffer ?? 'o-stale',
        at: time,
      };
    case 6:
      return {
        type: 'send_message',
        agentId: step.pickOpenOffer ? (chat?.owner ?? agentId) : agentId,
        at: time,
      };
    case 7:
      return {
        type: 'request_transfer',
        agentId: step.pickOpenOffer ? (chat?.owner ?? agentId) : agentId,
        to: step.state === 'away' ? { type: 'queue', queueId: 'q2' } : { type: 'agent', agentId: other },
        offerId: offerId(),
        at: time,
        timeoutMs: TIMEOUT,
      };
    case 8:
      return {
        type: 'invite',
        agentId: step.pickOpenOffer ? (chat?.owner ?? agentId) : agentId,
        guestId: other,
        offerId: offerId(),
        at: time,
        timeoutMs: TIMEOUT,
      };
    case 9:
      return {
        type: 'end',
        agentId: step.pickOpenOffer ? (chat?.owner ?? chat?.guest ?? agentId) : agentId,
        at: time,
      };
    case 10:
      return step.state === 'busy'
        ? { type: 'session_ended', at: time }
        : { type: 'transfer_failed', offerId: request, at: time };
    case 11:
      return { type: 'interrupt', asset: { kind: 'queue', id: 'q1' }, at: time };
    case 12:
      return { type: 'wrap_up', agentId: chat?.wrapUpOwedBy[0] ?? agentId, reasonId: 'resolved', at: time };
    default:
      return { type: 'choose_state', agentId, state: step.state };
  }
}

const desk = (world: World, agentId: string) => world.desks.get(agentId) ?? newDesk(agentId);

function checkWorld(world: World) {
  for (const chat of world.chats.values()) {
    const owned = OWNED_PHASES.includes(chat.phase);
    // One owner at a time: exactly in the owned phases, never also the guest or the one offered.
    expect(chat.owner !== null).toBe(owned);
    if (chat.guest !== null) expect(['conference', 'interrupted']).toContain(chat.phase);
    if (chat.phase === 'conference') expect(chat.guest).not.toBeNull();
    if (chat.guest !== null) expect(chat.guest).not.toBe(chat.owner);
    if (chat.offer !== null) {
      expect(['offered', 'transfer_requested', 'conference_requested']).toContain(chat.phase);
      expect(chat.offer.agentId).not.toBe(chat.owner);
    }
    if (chat.phase === 'offered' || chat.phase === 'conference_requested') expect(chat.offer).not.toBeNull();
    expect((chat.transfer !== null) === (chat.phase === 'transfer_requested')).toBe(true);
    // A transfer's offer is named by its request: the agent's, or the pick's of a queue's.
    if (chat.transfer && chat.offer)
      expect(chat.offer.offerId).toBe(
        chat.transfer.to.type === 'agent' ? chat.transfer.offerId : pickedOfferId(chat.transfer.offerId),
      );
    if (chat.phase === 'wrapped_up') expect(chat.wrapUpOwedBy).toEqual([]);
    // No message from an agent who neither owns nor shares the chat.
    for (const agentId of AGENTS) {
      const sent = decide(chat, world.desks, { type: 'send_message', agentId, at: at(world.second) });
      if (sent.ok) expect([chat.owner, chat.guest]).toContain(agentId);
    }
    // Exactly one of accept and timeout takes effect, whichever comes first.
    if (chat.offer) {
      const { offerId, agentId } = chat.offer;
      const accept: ChatAction = { type: 'accept', agentId, offerId, at: at(world.second) };
      const timeout: ChatAction = { type: 'offer_timeout', offerId, at: at(world.second) };
      for (const [first, second] of [
        [accept, timeout],
        [timeout, accept],
      ] as const) {
        const one = decide(chat, world.desks, first);
        if (one.ok) expect(decide(one.chat, withDesks(world.desks, one.desks), second).ok).toBe(false);
      }
    }
  }
  // Wrap-ups owed agree between chats and desks; an agent who owes one is never Available.
  for (const agentId of AGENTS) {
    const d = desk(world, agentId);
    const owedByChats = [...world.chats.values()]
      .filter((c) => c.wrapUpOwedBy.includes(agentId))
      .map((c) => c.sessionId);
    expect([...d.wrapUpsOwed].sort()).toEqual(owedByChats.sort());
    if (d.wrapUpsOwed.length > 0) expect(d.state).not.toBe('available');
  }
}

function play(steps: Step[], seen = new Set<string>()) {
  const world: World = { chats: new Map(), desks: new Map(), second: 0, nextOffer: 1 };
  for (const step of steps) {
    world.second += 1 + (step.kind % 3);
    const action = actionFor(world, step);
    if (action.type === 'choose_state') {
      const d = chooseAgentState(desk(world, action.agentId), action.state);
      if (d.ok) world.desks.set(d.desk.agentId, d.desk);
      checkWorld(world);
      continue;
    }
    const sessionId = action.type === 'offer' ? action.sessionId : SESSIONS[step.session]!;
    const before = world.chats.get(sessionId);
    const decision = decide(before, world.desks, action);
    // The use cases load only the desks of the agents involved: that must be enough to decide.
    const involved = agentsInvolved(before, action);
    const loaded = new Map(
      involved.flatMap((id) => (world.desks.has(id) ? [[id, world.desks.get(id)!] as const] : [])),
    );
    expect(decide(before, loaded, action)).toEqual(decision);
    // A pick or a failure that does not echo the transfer waiting for a pick changes nothing.
    if (
      before?.transfer &&
      (action.type === 'offer' || action.type === 'transfer_failed') &&
      (before.offer !== null || action.offerId !== before.transfer.offerId)
    )
      expect(decision.ok).toBe(false);
    // An id the chat used before names nothing new, and answers only the offer or request still open.
    if (before && 'offerId' in action && before.pastOfferIds.includes(action.offerId)) {
      const stillOpen =
        action.offerId === before.offer?.offerId ||
        (before.offer === null && action.offerId === before.transfer?.offerId);
      const names = action.type === 'offer' || action.type === 'request_transfer' || action.type === 'invite';
      if (names ? action.type !== 'offer' || action.offerId !== before.transfer?.offerId : !stillOpen)
        expect(decision).toMatchObject({ ok: false });
    }
    if (!decision.ok) {
      checkWorld(world);
      continue;
    }
    if (decision.chat.offer && decision.chat.offer.offerId !== before?.offer?.offerId)
      expect(before?.pastOfferIds ?? []).not.toContain(decision.chat.offer.offerId);
    expect(decision.chat.pastOfferIds.length).toBeLessThanOrEqual(REMEMBERED_OFFERS);
    for (const changed of decision.desks) expect(involved).toContain(changed.agentId);
    const after = decision.chat;

    // Accept only from Available.
    if (action.type === 'accept') expect(canTakeOffer(desk(world, action.agentId))).toBe(true);
    // An agent who owes a wrap-up (or is not Available) gets no new offer.
    if (after.offer && after.offer.offerId !== before?.offer?.offerId) {
      expect(canTakeOffer(desk(world, after.offer.agentId))).toBe(true);
      expect(decision.effects).toContainEqual(
        expect.objectContaining({ type: 'schedule_offer_timeout', offerId: after.offer.offerId }),
      );
    }
    // A wrap-up is owed after every end, by whoever was in the chat.
    if (after.phase === 'ended' && before && before.phase !== 'ended') {
      for (const id of [before.owner, before.guest]) if (id) expect(after.wrapUpOwedBy).toContain(id);
    }
    // And after every transfer, by the first agent.
    for (const effect of decision.effects)
      if (effect.type === 'transfer_completed') expect(after.wrapUpOwedBy).toContain(effect.from);

    world.chats.set(sessionId, after);
    seen.add(after.phase);
    world.desks = withDesks(world.desks, decision.desks);
    checkWorld(world);
  }
  return world;
}

describe('the chat state machine, over random sequences of actions, events and timeouts', () => {
  it('keeps its invariants: one owner, accept only from Available, messages only from the chat, wrap-ups owed and honoured', () => {
    fc.assert(
      fc.property(fc.array(Step, { minLength: 1, maxLength: 60 }), (steps) => {
        // Every agent starts Available, as after logging in.
        const ready = AGENTS.map((agent, i) => ({
          kind: 13,
          session: 0,
          agent: i,
          other: 0,
          pickOpenOffer: false,
          reusePastOffer: false,
          state: 'available' as const,
        }));
        play([...ready, ...steps]);
      }),
      { numRuns: 400 },
    );
  });

  it('reaches every phase, so the invariants are checked where they matter', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(fc.array(Step, { minLength: 20, maxLength: 80 }), (steps) => {
        const ready = AGENTS.map((agent, i) => ({
          kind: 13,
          session: 0,
          agent: i,
          other: 0,
          pickOpenOffer: false,
          reusePastOffer: false,
          state: 'available' as const,
        }));
        play(
          [
            ...ready,
            ...steps.map((s) => ({ ...s, session: 0, pickOpenOffer: s.pickOpenOffer || s.kind % 2 === 0 })),
          ],
          seen,
        );
      }),
      { numRuns: 300, seed: 14 },
    );
    expect([...seen].sort()).toEqual(
      [
        'accepted',
        'conference',
        'conference_requested',
        'ended',
        'interrupted',
        'offered',
        'transfer_requested',
        'withdrawn',
        'wrapped_up',
      ].sort(),
    );
  }, 60_000);
});
