import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FirestoreSessionRepository } from '../../functions/src/adapters/firestore/session-repository.js';
import { ingestSessionEvent } from '../../functions/src/app/ingest-session-event.js';
import { CHECKPOINT_TRAIL, fold } from '../../functions/src/domain/sessions/session.js';
import { SessionEvent } from '../../functions/src/domain/sessions/events.js';
import type { SessionRepository } from '../../functions/src/ports/session-repository.js';
import { composedIngest } from '../support/ingest.js';
import { buildScenario } from '../support/session-scenarios.js';
import { testFirestore, testProjectId } from '../support/projects.js';

const projectId = testProjectId('sessions');
/** Three clients stand for three function instances writing to the same sessions. */
const instances = [0, 1, 2].map(() => testFirestore(projectId));
const db = instances[0]!;
const repositories = instances.map((client) => new FirestoreSessionRepository(client));
const sessions = repositories[0]!;
/** Each instance composed as platformEvents composes itself, with its own client for the sessions. */
const composed = instances.map(() => composedIngest(projectId, { directoryCacheSeconds: 60 }));
let next = 0;
const ingest = (event: Parameters<typeof ingestSessionEvent>[1]) => {
  const instance = next++ % instances.length;
  return ingestSessionEvent({ ...composed[instance]!, sessions: repositories[instance]! }, event);
};

afterAll(() => Promise.all(instances.map((client) => client.terminate())));

/** 40 moves through a call, ended: about 43 events, each of them delivered twice. */
const scenario = (sessionId: string, seed: number) =>
  buildScenario(fc.sample(fc.nat(1000), { numRuns: 40, seed }), [1_000, 60_000, 5_000, 120_000], true, {
    sessionId,
  });

describe('session events on the Firestore emulator', () => {
  it('when every event of a call arrives twice, all at once, at three instances, then nothing is lost and the state is the in-order one', async () => {
    const events = scenario('S-concurrent', 7);
    const deliveries = [...events, ...events].sort(() => Math.random() - 0.5);
    const outcomes = await Promise.all(deliveries.map((e) => ingest(e)));

    const stored = await sessions.getSession('S-concurrent');
    expect(stored).toEqual(fold('S-concurrent', events));
    expect(stored?.status).toBe('ended');
    const eventDocs = await db.collection('sessions/S-concurrent/events').get();
    expect(eventDocs.size).toBe(events.length);
    expect(outcomes.filter((o) => o.outcome === 'duplicate')).toHaveLength(events.length);
  });

  it('when events of many sessions arrive at once in reverse order, then each session converges', async () => {
    const all = Array.from({ length: 8 }, (_, i) => scenario(`S-many-${i}`, 100 + i));
    await Promise.all(all.flatMap((events) => [...events].reverse().map((e) => ingest(e))));
    for (const events of all) {
      const id = events[0]!.sessionId;
      expect(await sessions.getSession(id)).toEqual(fold(id, events));
    }
  });

  it('when an event is redelivered after the session moved on, then it is a duplicate and writes nothing', async () => {
    const events = scenario('S-redelivered', 3);
    for (const e of events) await ingest(e);
    const before = await db.doc('sessions/S-redelivered').get();
    const again = await ingest(events[1]!);
    expect(again.outcome).toBe('duplicate');
    const after = await db.doc('sessions/S-redelivered').get();
    expect(after.updateTime?.isEqual(before.updateTime!)).toBe(true);
  });

  it('when a long chat arrives with every tenth event late, then late events read only recent events, without texts, and the state converges', async () => {
    const id = 'S-long-chat';
    const at = (i: number) => new Date(Date.UTC(2026, 10, 22, 10, 0, i)).toISOString();
    const base = { schemaVersion: 1, sessionId: id };
    const events = [
      {
        type: 'session.created',
        kind: 'chat',
        channel: 'web',
        queue: { id: 'q-1', menuPath: ['Help'] },
        language: 'en',
        consumer: { id: 'c-1', anonymous: true },
      },
      { type: 'session.assigned', agent: { id: 'a-1' } },
      { type: 'session.connected' },
      ...Array.from({ length: 300 }, (_, i) => ({
        type: 'message.sent',
        message: { id: `m-${i}`, author: { type: 'consumer' }, text: `secret text ${i}` },
      })),
    ].map((fields, sequence) =>
      SessionEvent.parse({
        ...base,
        ...fields,
        eventId: `${id}-${sequence}`,
        sequence,
        occurredAt: at(sequence),
      }),
    );
    const delivery = [...events];
    for (let i = 10; i + 1 < delivery.length; i += 10)
      [delivery[i], delivery[i + 1]] = [delivery[i + 1]!, delivery[i]!];

    // The real repository, with its history reads counted.
    const read: SessionEvent[][] = [];
    const spied: SessionRepository = {
      getSession: (sessionId) => sessions.getSession(sessionId),
      inTransaction: (sessionId, work) =>
        sessions.inTransaction(sessionId, (tx) =>
          work({
            ...tx,
            listEventsAfter: async (s, position) => {
              const found = await tx.listEventsAfter(s, position);
              read.push(found);
              return found;
            },
          }),
        ),
    };
    const deps = { ...composed[0]!, sessions: spied };
    const outcomes = [];
    for (const event of delivery) outcomes.push((await ingestSessionEvent(deps, event)).outcome);
    await ingestSessionEvent(deps, delivery[50]!);

    expect(outcomes.filter((o) => o === 'replayed')).toHaveLength(read.length);
    expect(await sessions.getSession(id)).toEqual(fold(id, events));
    expect(Math.max(...read.map((r) => r.length))).toBeLessThanOrEqual(CHECKPOINT_TRAIL + 11);
    expect(JSON.stringify(read)).not.toContain('secret text');
    expect(read.flat().every((e) => e.type !== 'message.sent' || e.message.author.type === 'consumer')).toBe(
      true,
    );
  });
});
