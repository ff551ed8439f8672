import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../functions/src/domain/sessions/events.js';
import {
  applyEvent,
  CHECKPOINT_TRAIL,
  comesAfter,
  emptySession,
  fold,
  foldStart,
  mergeLate,
  metricsAt,
  planIngest,
  type FoldCheckpoint,
  type Session,
} from '../../functions/src/domain/sessions/session.js';
import { arbitraryDelivery, arbitraryScenario } from '../support/session-scenarios.js';

const at = (minute: number, second = 0) => new Date(Date.UTC(2026, 10, 22, 9, minute, second)).toISOString();

let seq = 0;
const ev = <T extends SessionEvent['type']>(
  type: T,
  minute: number,
  fields: Omit<
    Extract<SessionEvent, { type: T }>,
    'type' | 'schemaVersion' | 'eventId' | 'sessionId' | 'sequence' | 'occurredAt'
  >,
): SessionEvent =>
  ({
    schemaVersion: 1,
    eventId: `e${seq}`,
    sessionId: 'S',
    sequence: seq++,
    occurredAt: at(minute),
    type,
    ...fields,
  }) as SessionEvent;

const created = (minute = 0) =>
  ev('session.created', minute, {
    kind: 'call',
    channel: 'ivr',
    queue: { id: 'q-billing', menuPath: ['Billing'] },
    language: 'en',
    consumer: { id: 'c-1', name: 'Ada', anonymous: false },
  });

interface Store {
  session?: Session;
  events: SessionEvent[];
  checkpoint?: FoldCheckpoint;
  /** Stored events read to fold late ones. */
  read: number;
}

const newStore = (): Store => ({ events: [], read: 0 });

/** What the ingest pipeline does with one delivered event, with the store as plain values. */
function deliver(store: Store, event: SessionEvent, trail = CHECKPOINT_TRAIL) {
  if (planIngest(store.session, event) === 'append') {
    store.session = applyEvent(store.session ?? emptySession(event.sessionId), event);
    store.events.push(event);
    return 'applied';
  }
  if (store.events.some((e) => e.eventId === event.eventId)) return 'duplicate';
  const from = foldStart(store.checkpoint, event);
  const after = store.events.filter((e) => !from || comesAfter(e, from.upTo));
  store.read += after.length;
  const merged = mergeLate(event.sessionId, from, after, event, trail);
  if (merged.duplicate) return 'duplicate';
  store.session = merged.session;
  if (merged.checkpoint) store.checkpoint = merged.checkpoint;
  store.events.push(event);
  return 'replayed';
}

describe('session state machine', () => {
  it('when a call is queued, answered, held, resumed and ended, then details carry the right metrics', () => {
    seq = 0;
    const events = [
      created(0),
      ev('session.assigned', 2, { agent: { id: 'a-1', name: 'Grace' } }),
      ev('session.connected', 3, {}),
      ev('session.held', 5, {}),
      ev('session.resumed', 6, {}),
      ev('session.ended', 10, { reason: 'completed' }),
    ];
    const s = fold('S', events);
    expect(s.status).toBe('ended');
    expect(s.agent).toEqual({ id: 'a-1', name: 'Grace' });
    expect(s.totals).toEqual({
      queueWaitMs: 120_000,
      talkMs: 360_000,
      holdMs: 60_000,
      holdCount: 1,
      transferCount: 0,
    });
    expect(s.endReason).toBe('completed');
    expect(s.anomalies).toEqual([]);
  });

  it('when a call is live, then metrics include the interval still running at "now"', () => {
    seq = 0;
    const s = fold('S', [
      created(0),
      ev('session.connected', 4, { agent: { id: 'a-1' } }),
      ev('session.held', 6, {}),
    ]);
    expect(metricsAt(s, new Date(at(9)))).toMatchObject({
      queueWaitMs: 240_000,
      talkMs: 120_000,
      holdMs: 180_000,
    });
    // Metrics do not move once the session is over, whatever "now" is.
    const ended = applyEvent(s, ev('session.ended', 10, { reason: 'consumer_left' }));
    expect(metricsAt(ended, new Date(at(50)))).toEqual(metricsAt(ended, new Date(at(11))));
  });

  it('when a call is transferred to a queue and then to an agent, then both transfers are counted and wait restarts', () => {
    seq = 0;
    const s = fold('S', [
      created(0),
      ev('session.connected', 1, { agent: { id: 'a-1' } }),
      ev('session.transferred', 3, {
        to: { type: 'queue', queue: { id: 'q-refunds', menuPath: ['Billing', 'Refunds'] } },
      }),
      ev('session.connected', 7, { agent: { id: 'a-2' } }),
      ev('session.transferred', 8, { to: { type: 'agent', agent: { id: 'a-3' } } }),
    ]);
    expect(s.status).toBe('assigned');
    expect(s.queue).toEqual({ id: 'q-refunds', menuPath: ['Billing', 'Refunds'] });
    expect(s.agent?.id).toBe('a-3');
    expect(s.totals.transferCount).toBe(2);
    expect(s.totals.queueWaitMs).toBe(60_000 + 240_000);
    expect(s.transfers.map((t) => t.to)).toEqual([
      { type: 'queue', queueId: 'q-refunds' },
      { type: 'agent', agentId: 'a-3' },
    ]);
    expect(s.transfers[0]!.from).toEqual({ queueId: 'q-billing', agentId: 'a-1' });
  });

  it('when an event makes no sense where it falls, then it is kept as an anomaly and the state is unchanged', () => {
    seq = 0;
    const queued = fold('S', [created(0)]);
    const held = applyEvent(queued, ev('session.held', 1, {}));
    expect(held.status).toBe('queued');
    expect(held.anomalies).toEqual([
      { eventId: 'e1', sequence: 1, type: 'session.held', reason: 'cannot hold a session that is queued' },
    ]);
    expect(held.lastSequence).toBe(1);
  });

  it('when participants join and the session ends, then everyone still present is marked as left', () => {
    seq = 0;
    const s = fold('S', [
      created(0),
      ev('participant.joined', 1, { participant: { id: 'p-1', role: 'consumer' } }),
      ev('participant.joined', 2, { participant: { id: 'p-2', role: 'agent' } }),
      ev('participant.left', 3, { participantId: 'p-2' }),
      ev('session.ended', 4, { reason: 'abandoned' }),
    ]);
    expect(s.participants.map((p) => [p.id, p.leftAt])).toEqual([
      ['p-1', at(4)],
      ['p-2', at(3)],
    ]);
  });

  it('when an event arrives after a later one, then it is re-folded into place', () => {
    seq = 0;
    const [c, a, conn] = [
      created(0),
      ev('session.assigned', 1, { agent: { id: 'a-1' } }),
      ev('session.connected', 2, {}),
    ];
    const store = newStore();
    expect(deliver(store, c!)).toBe('applied');
    expect(deliver(store, conn!)).toBe('applied');
    expect(store.session!.status).toBe('queued'); // connected without an agent is an anomaly, for now
    expect(deliver(store, a!)).toBe('replayed');
    expect(store.session).toEqual(fold('S', [c!, a!, conn!]));
    expect(store.session!.status).toBe('connected');
    expect(deliver(store, a!)).toBe('duplicate');
  });

  it('any duplication or reordering of a valid event sequence yields the same final session, whatever the checkpoint trail', () => {
    fc.assert(
      fc.property(
        arbitraryScenario().chain((events) =>
          fc.tuple(fc.constant(events), arbitraryDelivery(events), fc.integer({ min: 0, max: 70 })),
        ),
        ([events, delivery, trail]) => {
          const store = newStore();
          for (const event of delivery) deliver(store, event, trail);
          const inOrder = fold(events[0]!.sessionId, events);
          expect(store.session).toEqual(inOrder);
          expect(inOrder.anomalies).toEqual([]);
          expect(store.events).toHaveLength(events.length);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('when a long chat arrives with every tenth event late, then each late event reads only the events since the checkpoint', () => {
    seq = 0;
    const events = [
      created(0),
      ev('session.assigned', 1, { agent: { id: 'a-1' } }),
      ev('session.connected', 2, {}),
      ...Array.from({ length: 3000 }, (_, i) =>
        ev('message.sent', 3 + (i % 50), {
          message: { id: `m-${i}`, author: { type: 'consumer' }, text: 'x'.repeat(100) },
        }),
      ),
    ];
    // Each tenth event is overtaken by the next one.
    const delivery = [...events];
    for (let i = 10; i + 1 < delivery.length; i += 10)
      [delivery[i], delivery[i + 1]] = [delivery[i + 1]!, delivery[i]!];
    const store = newStore();
    const lates = delivery.filter((e) => deliver(store, e) === 'replayed').length;
    expect(lates).toBe(Math.floor((events.length - 2) / 10));
    expect(store.session).toEqual(fold('S', events));
    // Without the checkpoint, each late event would read the whole history: about 450,000 reads here.
    expect(store.read).toBeLessThanOrEqual(lates * (CHECKPOINT_TRAIL + 11));
  });

  it('a valid sequence delivered in order never produces an anomaly, and ends ended when it ends', () => {
    fc.assert(
      fc.property(arbitraryScenario(), (events) => {
        const s = fold('S-1', events);
        expect(s.anomalies).toEqual([]);
        expect(s.eventCount).toBe(events.length);
        if (events.some((e) => e.type === 'session.ended')) expect(s.status).toBe('ended');
      }),
      { numRuns: 300 },
    );
  });
});
