import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acceptOffer,
  applyChatAction,
  setAgentState,
  timeOutOffer,
  type ChatDeps,
} from '../../functions/src/app/chat/chats.js';
import { sendAgentMessage } from '../../functions/src/app/chat/messages.js';
import {
  endConference,
  inviteToConference,
  offerQueueTransfer,
  requestTransfer,
  type CollaborationDeps,
} from '../../functions/src/app/chat/collaboration.js';
import { ingestSessionEvent, type IngestDeps } from '../../functions/src/app/ingest-session-event.js';
import { FirestorePrivacySettings } from '../../functions/src/adapters/firestore/privacy-settings.js';
import { composePlatformEventsPubSub } from '../../functions/src/composition/platform-events.js';
import { functionConfig } from '../../functions/src/config.js';
import type { SessionEvent } from '../../functions/src/domain/sessions/events.js';
import type { ChatStore } from '../../functions/src/ports/chats.js';
import type { PlatformCommand } from '../../functions/src/ports/platform-commands.js';
import { systemClock } from '../../functions/src/ports/clock.js';
import { testFirestore, testProjectId } from '../support/projects.js';

/**
 * Live chat offers on the Firestore emulator, through the use cases as the platform event functions
 * compose them; the platform's topic and the task queue are recorded instead of called.
 */
const projectId = testProjectId('chat-offers');
const db = testFirestore(projectId);
const config = functionConfig('platformEventsPubSub', {
  GOOGLE_CLOUD_PROJECT: projectId,
  DIRECTORY_CACHE_SECONDS: '0',
  CHAT_OFFERS_QUEUE: 'projects/p/locations/l/queues/chat-offers',
  CHAT_OFFER_TIMEOUT_URL: 'https://events.example/v1/tasks/chat-offer-timeout',
  CHAT_TASKS_SERVICE_ACCOUNT: 'tasks@p.iam.gserviceaccount.com',
});
const composed = composePlatformEventsPubSub(config).ingest();
const published: PlatformCommand[] = [];
const scheduled: { sessionId: string; offerId: string; at: Date }[] = [];
let failNextPublish = false;
const chat: ChatDeps = {
  ...composed.chat!,
  commands: {
    publish: async (c) => {
      if (failNextPublish) {
        failNextPublish = false;
        throw new Error('the topic is briefly unavailable');
      }
      published.push(c);
    },
  },
  timeouts: { schedule: async (sessionId, offerId, at) => void scheduled.push({ sessionId, offerId, at }) },
};
const ingest: IngestDeps = { ...composed, chat };
const collaboration: CollaborationDeps = {
  chat,
  engine: {
    compiled: async () => {
      throw new Error('these tests transfer to agents only');
    },
  },
  presence: { loggedIn: async () => new Set(['ann', 'bob']) },
  // Transfers and invitations to one agent check that agent alone: the list of every Available agent is never read.
  desks: {
    available: async () => {
      throw new Error('the list of Available agents was read to check one agent');
    },
  },
};

const envelope = (sessionId: string, sequence: number) => ({
  schemaVersion: 1 as const,
  sessionId,
  eventId: `${sessionId}-e${sequence}`,
  sequence,
  occurredAt: new Date(Date.UTC(2026, 11, 3, 9, 0, sequence)).toISOString(),
});

function chatUntilAssigned(sessionId: string, agentId: string, customerText: string): SessionEvent[] {
  return [
    {
      ...envelope(sessionId, 0),
      type: 'session.created',
      kind: 'chat',
      channel: 'web',
      queue: { id: 'q-billing', menuPath: ['Billing', 'Refunds'] },
      language: 'en',
      consumer: { id: 'c-1', name: 'Melissa Jones', anonymous: false },
    },
    {
      ...envelope(sessionId, 1),
      type: 'message.sent',
      message: { id: `${sessionId}-m1`, author: { type: 'consumer' }, text: customerText },
    },
    { ...envelope(sessionId, 2), type: 'session.assigned', agent: { id: agentId } },
  ];
}

async function deliver(events: SessionEvent[]) {
  for (const event of events) await ingestSessionEvent(ingest, event);
}

const view = async (agentId: string, sessionId: string) =>
  (await db.doc(`agentDesks/${agentId}/chats/${sessionId}`).get()).data();
const thread = async (agentId: string, sessionId: string) =>
  (await db.collection(`agentDesks/${agentId}/chats/${sessionId}/messages`).orderBy('order').get()).docs.map(
    (d) => d.data(),
  );

beforeAll(async () => {
  const batch = db.batch();
  for (const [uid, name] of [
    ['ann', 'Ann Agent'],
    ['bob', 'Bob Agent'],
  ])
    batch.set(db.doc(`users/${uid}`), { name, roleIds: ['agent'], teamIds: ['team-a'] });
  await batch.commit();
});

afterAll(() => db.terminate());

describe('offers (LCH-1, LCH-2)', () => {
  it('when the platform assigns a chat to an Available agent, then their offer shows the customer, queue, agent, date, receipt and the thread so far, and one timeout is scheduled however often the event comes', async () => {
    await setAgentState(chat, 'ann', 'available');
    const events = chatUntilAssigned('chat-offer', 'ann', 'Hello, my order is late');
    await deliver(events);
    await ingestSessionEvent(ingest, events[2]!); // redelivered
    const offer = await view('ann', 'chat-offer');
    expect(offer).toMatchObject({
      status: 'offered',
      role: 'offered',
      customerName: 'Melissa Jones',
      customerInitials: 'MJ',
      queueName: 'Refunds',
      agentName: 'Ann Agent',
      date: '2026-12-03T09:00:00.000Z',
      offer: { offerId: 'chat-offer-e2', purpose: 'assignment' },
    });
    expect(Date.parse(offer!.offer.expiresAt) - Date.parse(offer!.offer.receivedAt)).toBe(30_000);
    expect(await thread('ann', 'chat-offer')).toEqual([
      expect.objectContaining({ author: 'customer', initials: 'MJ', text: 'Hello, my order is late' }),
    ]);
    expect(scheduled.filter((s) => s.sessionId === 'chat-offer')).toHaveLength(1);
  });

  it('when an accept and the timeout race, then exactly one takes effect, every time', async () => {
    await setAgentState(chat, 'bob', 'available');
    const winners: string[] = [];
    for (let i = 0; i < 4; i++) {
      const sessionId = `race-${i}`;
      await setAgentState(chat, 'bob', 'available');
      await deliver(chatUntilAssigned(sessionId, 'bob', 'hi'));
      const offerId = `${sessionId}-e2`;
      const [accept, timeout] = await Promise.allSettled([
        acceptOffer(chat, 'bob', sessionId, offerId),
        timeOutOffer(chat, sessionId, offerId),
      ]);
      const accepted = accept.status === 'fulfilled';
      const timedOut = timeout.status === 'fulfilled' && timeout.value === 'timed_out';
      expect(accepted).not.toBe(timedOut);
      const stored = (await db.doc(`chats/${sessionId}`).get()).data()!;
      const desk = (await db.doc('agentDesks/bob').get()).data()!;
      const reroutes = published.filter((c) => c.type === 'chat.reroute' && c.sessionId === sessionId);
      if (accepted) {
        expect(stored).toMatchObject({ phase: 'accepted', owner: 'bob' });
        expect(desk.state).toBe('available');
        expect(reroutes).toHaveLength(0);
      } else {
        expect(accept.status === 'rejected' && accept.reason.details.reason).toBe('offer_gone');
        expect(stored).toMatchObject({ phase: 'withdrawn', owner: null });
        expect(desk.state).toBe('rona');
        expect(reroutes).toEqual([expect.objectContaining({ agentId: 'bob', reason: 'offer_timed_out' })]);
      }
      winners.push(accepted ? 'accept' : 'timeout');
    }
    expect(winners.length).toBe(4);
  });

  it('when the offer times out, then the agent is in RONA: a new chat is re-routed, and accepting waits until they choose Available by hand', async () => {
    await setAgentState(chat, 'ann', 'available');
    await deliver(chatUntilAssigned('rona-1', 'ann', 'hi'));
    expect(await timeOutOffer(chat, 'rona-1', 'rona-1-e2')).toBe('timed_out');
    expect(await timeOutOffer(chat, 'rona-1', 'rona-1-e2')).toBe('already_settled');
    expect(published).toContainEqual(
      expect.objectContaining({ type: 'agent.state', agentId: 'ann', state: 'rona', sessionId: 'rona-1' }),
    );
    await deliver(chatUntilAssigned('rona-2', 'ann', 'hi'));
    expect((await db.doc('chats/rona-2').get()).get('phase')).toBe('withdrawn');
    expect(published).toContainEqual(
      expect.objectContaining({ type: 'chat.reroute', sessionId: 'rona-2', reason: 'agent_unavailable' }),
    );
    await setAgentState(chat, 'ann', 'available');
    await deliver(chatUntilAssigned('rona-3', 'ann', 'hi'));
    await expect(acceptOffer(chat, 'ann', 'rona-3', 'rona-3-e2')).resolves.toMatchObject({ owner: 'ann' });
  });

  it('when the assignment of an offer that timed out is redelivered, then the agent is not offered it again and the platform is not told again', async () => {
    await setAgentState(chat, 'bob', 'available');
    const events = chatUntilAssigned('past-1', 'bob', 'hi');
    await deliver(events);
    expect(await timeOutOffer(chat, 'past-1', 'past-1-e2')).toBe('timed_out');
    await setAgentState(chat, 'bob', 'available');
    const told = published.filter((c) => c.sessionId === 'past-1').length;
    await ingestSessionEvent(ingest, events[2]!);
    expect(await view('bob', 'past-1')).toMatchObject({ status: 'withdrawn', offer: null });
    expect(published.filter((c) => c.sessionId === 'past-1')).toHaveLength(told);
    expect(scheduled.filter((s) => s.sessionId === 'past-1')).toHaveLength(1);
    await expect(acceptOffer(chat, 'bob', 'past-1', 'past-1-e2')).rejects.toMatchObject({ status: 409 });
  });

  it('when the platform cannot be told after the timeout took effect, then the retried task tells it, once', async () => {
    await setAgentState(chat, 'bob', 'available');
    await deliver(chatUntilAssigned('lost-1', 'bob', 'hi'));
    failNextPublish = true;
    await expect(timeOutOffer(chat, 'lost-1', 'lost-1-e2')).rejects.toThrow('briefly unavailable');
    expect(published.filter((c) => c.type === 'chat.reroute' && c.sessionId === 'lost-1')).toHaveLength(0);
    expect(await timeOutOffer(chat, 'lost-1', 'lost-1-e2')).toBe('already_settled');
    expect(published.filter((c) => c.type === 'chat.reroute' && c.sessionId === 'lost-1')).toHaveLength(1);
  });
});

describe('events out of order (LCH-1)', () => {
  it('when the assignment arrives before the session’s creation, then the agent gets the same offer as in order, exactly once', async () => {
    await setAgentState(chat, 'ann', 'available');
    const inOrder = chatUntilAssigned('ordered-1', 'ann', 'Hello');
    await deliver(inOrder);
    await setAgentState(chat, 'bob', 'available');
    const [created, message, assigned] = chatUntilAssigned('reordered-1', 'bob', 'Hello');
    await deliver([assigned!, created!, message!]);

    const offerOf = async (agentId: string, sessionId: string) => {
      const { offer, status, customerName, queueName, date } = (await view(agentId, sessionId))!;
      return { offerId: offer.offerId, purpose: offer.purpose, status, customerName, queueName, date };
    };
    expect((await offerOf('bob', 'reordered-1')).offerId).toBe('reordered-1-e2');
    // Every event again, as a redelivering platform would: still the one offer.
    await deliver([assigned!, message!, created!]);
    expect(await offerOf('bob', 'reordered-1')).toEqual({
      ...(await offerOf('ann', 'ordered-1')),
      offerId: 'reordered-1-e2',
    });
    expect((await offerOf('ann', 'ordered-1')).offerId).toBe('ordered-1-e2');
    for (const sessionId of ['ordered-1', 'reordered-1']) {
      expect(scheduled.filter((s) => s.sessionId === sessionId)).toEqual([
        expect.objectContaining({ offerId: `${sessionId}-e2` }),
      ]);
    }
    expect((await thread('bob', 'reordered-1')).map((m) => m.text)).toEqual(['Hello']);
    await expect(acceptOffer(chat, 'bob', 'reordered-1', 'reordered-1-e2')).resolves.toMatchObject({
      owner: 'bob',
    });
  });
});

describe('a message arriving while the first offer is made (LCH-1, LCH-3)', () => {
  it('when a customer message is stored between the offer reading the thread and committing, then the agent’s thread still holds it', async () => {
    await setAgentState(chat, 'ann', 'available');
    const [created, first, assigned] = chatUntilAssigned('interleaved-1', 'ann', 'Hello');
    const late: SessionEvent = {
      ...envelope('interleaved-1', 3),
      type: 'message.sent',
      message: { id: 'interleaved-1-m2', author: { type: 'consumer' }, text: 'Are you there?' },
    };
    // The late message's transaction has done its reads and is about to commit.
    let messageReady: () => void = () => {};
    let lateDelivery: Promise<unknown> | undefined;
    const chats: ChatStore = Object.create(chat.chats) as ChatStore;
    chats.inTransaction = (work) =>
      chat.chats.inTransaction(async (tx) => {
        const result = await work(tx);
        messageReady();
        return result;
      });
    const interleaving: ChatDeps = {
      ...chat,
      chats,
      thread: {
        lastAssignmentOf: (sessionId) => chat.thread.lastAssignmentOf(sessionId),
        messagesOf: async (sessionId) => {
          const read = await chat.thread.messagesOf(sessionId);
          if (!lateDelivery) {
            // Between this read and the offer's commit, the next message arrives and is handled.
            const ready = new Promise<void>((resolve) => (messageReady = resolve));
            lateDelivery = ingestSessionEvent({ ...composed, chat: interleaving }, late);
            await ready;
          }
          return read;
        },
      },
    };
    await deliver([created!, first!]);
    await ingestSessionEvent({ ...composed, chat: interleaving }, assigned!);
    await lateDelivery;
    expect((await thread('ann', 'interleaved-1')).map((m) => m.text)).toEqual(['Hello', 'Are you there?']);
  });
});

describe('messages (LCH-3, LCH-5)', () => {
  it('when the agent sends a message twice with one client id, then it is in the thread once, after the customer’s, and published once', async () => {
    await setAgentState(chat, 'ann', 'available');
    await deliver(chatUntilAssigned('msg-1', 'ann', 'Where is my refund?'));
    await acceptOffer(chat, 'ann', 'msg-1', 'msg-1-e2');
    const first = await sendAgentMessage(chat, 'ann', 'msg-1', {
      clientMessageId: 'c1',
      text: 'Let me check 👍🏽',
    });
    const again = await sendAgentMessage(chat, 'ann', 'msg-1', {
      clientMessageId: 'c1',
      text: 'Let me check 👍🏽',
    });
    expect(first.created).toBe(true);
    expect(again).toEqual({ message: first.message, created: false });
    expect(published.filter((c) => c.type === 'chat.message' && c.sessionId === 'msg-1')).toEqual([
      expect.objectContaining({
        messageId: first.message.messageId,
        text: 'Let me check 👍🏽',
        agentId: 'ann',
      }),
    ]);
    expect((await thread('ann', 'msg-1')).map((m) => [m.author, m.text])).toEqual([
      ['customer', 'Where is my refund?'],
      ['agent', 'Let me check 👍🏽'],
    ]);
  });

  it('when another agent, or the agent of an offer not yet accepted, writes in the chat, then it is refused and nothing is sent', async () => {
    await setAgentState(chat, 'bob', 'available');
    await deliver(chatUntilAssigned('msg-2', 'bob', 'hi'));
    const before = published.length;
    await expect(
      sendAgentMessage(chat, 'bob', 'msg-2', { clientMessageId: 'c1', text: 'early' }),
    ).rejects.toMatchObject({
      status: 409,
      details: { reason: 'wrong_phase' },
    });
    await acceptOffer(chat, 'bob', 'msg-2', 'msg-2-e2');
    await expect(
      sendAgentMessage(chat, 'ann', 'msg-2', { clientMessageId: 'c1', text: 'not mine' }),
    ).rejects.toMatchObject({
      status: 403,
      details: { reason: 'not_in_chat' },
    });
    expect(published.length).toBe(before);
    expect(await thread('ann', 'msg-2')).toEqual([]);
  });
});

describe('masking (outcome 4, where agents read)', () => {
  it('when masking is on, then the offer and thread an agent reads are masked and the original stays only in the session events', async () => {
    await new FirestorePrivacySettings(db, 0, systemClock).save(
      { maskSensitiveData: true },
      { uid: 'admin' },
      new Date(),
    );
    try {
      await setAgentState(chat, 'bob', 'available');
      const events = chatUntilAssigned('masked-1', 'bob', 'Write to melissa@gmail.com or call +447966197542');
      const created = events[0] as Extract<SessionEvent, { type: 'session.created' }>;
      created.consumer.name = '+447966197542';
      await deliver(events);
      const offer = await view('bob', 'masked-1');
      expect(offer).toMatchObject({ customerName: '*********7542', customerInitials: '#' });
      const [message] = await thread('bob', 'masked-1');
      expect(message!.text).toBe('Write to m******@gmail.com or call *********7542');
      const stored = (await db.doc('sessions/masked-1/events/masked-1-e1').get()).get('message.text');
      expect(stored).toBe('Write to melissa@gmail.com or call +447966197542');
    } finally {
      await new FirestorePrivacySettings(db, 0, systemClock).save(
        { maskSensitiveData: false },
        { uid: 'admin' },
        new Date(),
      );
    }
  });
});

describe('retries after a change whose follow-up failed (LCH-8)', () => {
  it('when the platform cannot be told of a transfer request, then the retried request is refused but tells it, once, and schedules the offer’s timeout', async () => {
    await setAgentState(chat, 'ann', 'available');
    await deliver(chatUntilAssigned('xfer-lost-1', 'ann', 'hi'));
    await acceptOffer(chat, 'ann', 'xfer-lost-1', 'xfer-lost-1-e2');
    await setAgentState(chat, 'bob', 'available');
    const requests = () =>
      published.filter(
        (c) => c.type === 'chat.transfer' && c.sessionId === 'xfer-lost-1' && c.status === 'requested',
      );
    failNextPublish = true;
    await expect(
      requestTransfer(collaboration, 'ann', 'xfer-lost-1', { type: 'agent', agentId: 'bob' }),
    ).rejects.toThrow('briefly unavailable');
    expect(requests()).toHaveLength(0);
    await expect(
      requestTransfer(collaboration, 'ann', 'xfer-lost-1', { type: 'agent', agentId: 'bob' }),
    ).rejects.toMatchObject({ status: 409 });
    expect(requests()).toHaveLength(1);
    expect(
      scheduled.filter((s) => s.sessionId === 'xfer-lost-1' && s.offerId.startsWith('transfer-')),
    ).toHaveLength(1);
    await expect(
      requestTransfer(collaboration, 'ann', 'xfer-lost-1', { type: 'agent', agentId: 'bob' }),
    ).rejects.toMatchObject({ status: 409 });
    expect(requests()).toHaveLength(1);
  });
});

describe('retries after a change whose command could not be published', () => {
  const about = (sessionId: string, type: PlatformCommand['type']) =>
    published.filter((c) => c.sessionId === sessionId && c.type === type);

  it('when End conference took effect but the platform could not be told, then the retry is refused but tells it, once', async () => {
    await setAgentState(chat, 'ann', 'available');
    await deliver(chatUntilAssigned('conf-lost-1', 'ann', 'hi'));
    await acceptOffer(chat, 'ann', 'conf-lost-1', 'conf-lost-1-e2');
    // A guest of its own: ending the conference leaves them owing a wrap-up.
    await setAgentState(chat, 'cy', 'available');
    const withCy = { ...collaboration, presence: { loggedIn: async () => new Set(['ann', 'cy']) } };
    const invited = await inviteToConference(withCy, 'ann', 'conf-lost-1', 'cy');
    await acceptOffer(chat, 'cy', 'conf-lost-1', invited.offer!.offerId);
    const left = () =>
      about('conf-lost-1', 'chat.conference').filter((c) => 'status' in c && c.status === 'left');
    failNextPublish = true;
    await expect(endConference(collaboration, 'cy', 'conf-lost-1')).rejects.toThrow('briefly unavailable');
    expect(left()).toHaveLength(0);
    await expect(endConference(collaboration, 'cy', 'conf-lost-1')).rejects.toMatchObject({ status: 409 });
    expect(left()).toHaveLength(1);
    await expect(endConference(collaboration, 'cy', 'conf-lost-1')).rejects.toMatchObject({ status: 409 });
    expect(left()).toHaveLength(1);
  });

  it('when the queue’s pick took effect but the platform could not be told, then the retried pick is refused but tells it, once', async () => {
    await setAgentState(chat, 'ann', 'available');
    await deliver(chatUntilAssigned('pick-lost-1', 'ann', 'hi'));
    await acceptOffer(chat, 'ann', 'pick-lost-1', 'pick-lost-1-e2');
    await applyChatAction(chat, 'pick-lost-1', {
      type: 'request_transfer',
      agentId: 'ann',
      to: { type: 'queue', queueId: 'q-support' },
      offerId: 'transfer-lost-1',
      at: new Date().toISOString(),
      timeoutMs: 30_000,
    });
    const rejected = () =>
      about('pick-lost-1', 'chat.transfer').filter((c) => 'status' in c && c.status === 'rejected');
    const pick = { offerId: 'transfer-lost-1', agentId: null };
    failNextPublish = true;
    await expect(offerQueueTransfer(collaboration, 'pick-lost-1', pick)).rejects.toThrow(
      'briefly unavailable',
    );
    expect(rejected()).toHaveLength(0);
    await expect(offerQueueTransfer(collaboration, 'pick-lost-1', pick)).rejects.toMatchObject({
      status: 409,
    });
    expect(rejected()).toHaveLength(1);
    await expect(offerQueueTransfer(collaboration, 'pick-lost-1', pick)).rejects.toMatchObject({
      status: 409,
    });
    expect(rejected()).toHaveLength(1);
  });

  it('when an assignment to an agent who cannot take it took effect but the platform could not be told, then the redelivered event tells it, once', async () => {
    await setAgentState(chat, 'bob', 'away');
    const events = chatUntilAssigned('assign-lost-1', 'bob', 'hi');
    await deliver(events.slice(0, 2));
    failNextPublish = true;
    await expect(ingestSessionEvent(ingest, events[2]!)).rejects.toThrow('briefly unavailable');
    expect(about('assign-lost-1', 'chat.reroute')).toHaveLength(0);
    await ingestSessionEvent(ingest, events[2]!);
    expect(about('assign-lost-1', 'chat.reroute')).toHaveLength(1);
    await ingestSessionEvent(ingest, events[2]!);
    expect(about('assign-lost-1', 'chat.reroute')).toHaveLength(1);
  });

  it('when an assignment that came before the session’s creation took effect but the platform could not be told, then the redelivered creation tells it, once', async () => {
    await setAgentState(chat, 'bob', 'away');
    const [created, message, assigned] = chatUntilAssigned('assign-lost-2', 'bob', 'hi');
    await deliver([assigned!]);
    failNextPublish = true;
    await expect(ingestSessionEvent(ingest, created!)).rejects.toThrow('briefly unavailable');
    expect(about('assign-lost-2', 'chat.reroute')).toHaveLength(0);
    await deliver([created!, message!]);
    expect(about('assign-lost-2', 'chat.reroute')).toHaveLength(1);
    await deliver([created!]);
    expect(about('assign-lost-2', 'chat.reroute')).toHaveLength(1);
  });
});

describe('transfer and invitation to one agent (LCH-8, LCH-9)', () => {
  it('when the owner transfers to or invites one agent, then that agent alone is checked: one the platform does not see logged in, or who is not Available, is refused and nothing changes', async () => {
    await setAgentState(chat, 'ann', 'available');
    await deliver(chatUntilAssigned('one-agent-1', 'ann', 'hi'));
    await acceptOffer(chat, 'ann', 'one-agent-1', 'one-agent-1-e2');
    await expect(
      requestTransfer(collaboration, 'ann', 'one-agent-1', { type: 'agent', agentId: 'zed' }),
    ).rejects.toMatchObject({ status: 409, message: expect.stringContaining('not available') });
    await expect(inviteToConference(collaboration, 'ann', 'one-agent-1', 'zed')).rejects.toMatchObject({
      status: 409,
      message: expect.stringContaining('not available'),
    });
    await setAgentState(chat, 'bob', 'away');
    await expect(
      requestTransfer(collaboration, 'ann', 'one-agent-1', { type: 'agent', agentId: 'bob' }),
    ).rejects.toMatchObject({ status: 409, message: expect.stringContaining('not available') });
    expect(await view('ann', 'one-agent-1')).toMatchObject({ status: 'accepted', role: 'owner' });
    await setAgentState(chat, 'bob', 'available');
    await expect(inviteToConference(collaboration, 'ann', 'one-agent-1', 'bob')).resolves.toMatchObject({
      phase: 'conference_requested',
      offer: { agentId: 'bob', purpose: 'conference' },
    });
  });
});

describe('profile flags on the desk while they change (RDP-2)', () => {
  const flagsUpdated = (
    sessionId: string,
    sequence: number,
    source: 'sdk' | 'sip',
    metadata: Record<string, unknown>,
  ): SessionEvent =>
    ({ ...envelope(sessionId, sequence), type: 'metadata.updated', source, metadata }) as SessionEvent;

  /** The chat side as composed, except that its first transaction starts only once `meanwhile` is done. */
  function startingAfter(meanwhile: () => Promise<unknown>): ChatDeps {
    let pending: (() => Promise<unknown>) | undefined = meanwhile;
    const chats: ChatStore = Object.create(chat.chats) as ChatStore;
    chats.inTransaction = async (work) => {
      const first = pending;
      pending = undefined;
      if (first) await first();
      return chat.chats.inTransaction(work);
    };
    return { ...chat, chats };
  }

  const shownFlags = async (agentId: string, sessionId: string) =>
    ((await view(agentId, sessionId))!.profileFlags as { flag: string; source: string }[]).map((f) => [
      f.flag,
      f.source,
    ]);

  it('when two flag changes are handled at once, then the desk ends with the newest flags, whichever commits last', async () => {
    await setAgentState(chat, 'ann', 'available');
    await deliver(chatUntilAssigned('flags-twice', 'ann', 'Hello'));
    const first = flagsUpdated('flags-twice', 3, 'sdk', { reserved_verified_customer: true });
    const second = flagsUpdated('flags-twice', 4, 'sip', { reserved_bad_actor: true });
    // The second change is stored and shown after the first was folded but before its views are written.
    const interleaved = startingAfter(() => ingestSessionEvent(ingest, second));
    await ingestSessionEvent({ ...composed, chat: interleaved }, first);
    expect(await shownFlags('ann', 'flags-twice')).toEqual([
      ['verified', 'sdk'],
      ['bad_actor', 'sip'],
    ]);
  });

  it('when an update changes no flag (only the app’s own keys, or a flag to the value it has), then no desk document is written', async () => {
    await setAgentState(chat, 'ann', 'available');
    await deliver(chatUntilAssigned('flags-unchanged', 'ann', 'Hello'));
    // Firestore keeps a document's update time when it is written unchanged: the writes are counted.
    const viewsWritten: string[] = [];
    const chats: ChatStore = Object.create(chat.chats) as ChatStore;
    chats.inTransaction = (work) =>
      chat.chats.inTransaction((tx) =>
        work({
          ...tx,
          putView: (agentId, written) => {
            viewsWritten.push(agentId);
            tx.putView(agentId, written);
          },
        }),
      );
    const counting: IngestDeps = { ...composed, chat: { ...chat, chats } };
    const change = flagsUpdated('flags-unchanged', 3, 'sdk', { reserved_verified_customer: true });
    await ingestSessionEvent(counting, change);
    expect(viewsWritten).toEqual(['ann']);

    await ingestSessionEvent(counting, flagsUpdated('flags-unchanged', 4, 'sdk', { cart_total: '42.10' }));
    await ingestSessionEvent(
      counting,
      flagsUpdated('flags-unchanged', 5, 'sdk', { reserved_verified_customer: true, cart_total: '43' }),
    );
    expect(viewsWritten).toEqual(['ann']);
    expect(await shownFlags('ann', 'flags-unchanged')).toEqual([['verified', 'sdk']]);
  });

  it('when a flag changes while the agent accepts, then the accepted chat shows the new flag', async () => {
    await setAgentState(chat, 'bob', 'available');
    await deliver(chatUntilAssigned('flags-accept', 'bob', 'Hello'));
    const change = flagsUpdated('flags-accept', 3, 'sip', { reserved_bad_actor: true });
    const interleaved = startingAfter(() => ingestSessionEvent(ingest, change));
    await acceptOffer(interleaved, 'bob', 'flags-accept', 'flags-accept-e2');
    expect(await view('bob', 'flags-accept')).toMatchObject({ status: 'accepted' });
    expect(await shownFlags('bob', 'flags-accept')).toEqual([['bad_actor', 'sip']]);
  });
});
