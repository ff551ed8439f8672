import { afterAll, describe, expect, it } from 'vitest';
import { ingestSessionEvent } from '../../functions/src/app/ingest-session-event.js';
import { SessionEvent } from '../../functions/src/domain/sessions/events.js';
import { MAX_SEARCH_TOKENS } from '../../functions/src/domain/supervision/session-listing.js';
import { composedIngest } from '../support/ingest.js';
import { testFirestore, testProjectId } from '../support/projects.js';

/**
 * A session whose names are as long and as varied as the schema allows, on a queue seen by a hundred
 * teams with the longest ids: its document must stay within Firestore's limits, event after event.
 */
const projectId = testProjectId('tokens');
const db = testFirestore(projectId);
afterAll(() => db.terminate());

/** 200 characters of distinct 15-letter words, each giving 14 prefixes. */
const longName = (seed: string) =>
  Array.from({ length: 12 }, (_, i) => `${seed}${String.fromCharCode(97 + i)}${'abcdefghijklm'}`).join(' ') +
  ' ﷺ ﬄ';

describe('search tokens on the Firestore emulator', () => {
  it('when names are at their longest and the queue has a hundred teams, then every event of the session is ingested', async () => {
    const teams = Array.from(
      { length: 100 },
      (_, i) => `team-${String(i).padStart(3, '0')}-${'x'.repeat(119)}`,
    );
    await db.doc('queues/q-crowded').set({ teamIds: teams });
    const deps = composedIngest(projectId);
    const base = { schemaVersion: 1, sessionId: 'S-LONG' };
    const at = (minute: number) => `2026-11-22T10:${String(minute).padStart(2, '0')}:00Z`;
    const events = [
      {
        type: 'session.created',
        kind: 'chat',
        channel: 'web',
        queue: { id: 'q-crowded', menuPath: ['Billing'] },
        language: 'en',
        consumer: { id: `c-${'9'.repeat(126)}`, name: longName('q'), anonymous: false },
      },
      { type: 'session.assigned', agent: { id: `a-${'7'.repeat(126)}`, name: longName('z') } },
      { type: 'session.connected' },
      { type: 'message.sent', message: { id: 'm-1', author: { type: 'consumer' }, text: 'hello' } },
      { type: 'session.ended', reason: 'completed' },
    ].map((fields, sequence) =>
      SessionEvent.parse({
        ...base,
        ...fields,
        eventId: `S-LONG-${sequence}`,
        sequence,
        occurredAt: at(sequence),
      }),
    );
    for (const event of events) expect((await ingestSessionEvent(deps, event)).outcome).toBe('applied');

    const stored = (await db.doc('sessions/S-LONG').get()).data()!;
    expect(stored.status).toBe('ended');
    expect(stored.searchTokens.length).toBeLessThanOrEqual(MAX_SEARCH_TOKENS);
    expect(stored.searchTokens).toContain(`${teams[99]}|qa`);
    expect(stored.searchTokens).toContain(`*|c-${'9'.repeat(62)}`);
  });
});
