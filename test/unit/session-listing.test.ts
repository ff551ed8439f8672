import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { indexFor, indexKey, type CompositeIndex } from '../../functions/src/adapters/firestore/indexes.js';
import { planAgentList } from '../../functions/src/domain/supervision/agent-listing.js';
import {
  isStuck,
  planSessionList,
  searchKey,
  sessionListing,
  type SessionListFilters,
} from '../../functions/src/domain/supervision/session-listing.js';
import { fold } from '../../functions/src/domain/sessions/session.js';
import { indexesFile } from '../../scripts/firestore-indexes.js';
import { buildScenario } from '../support/session-scenarios.js';

const committed = JSON.parse(readFileSync('firestore.indexes.json', 'utf8')) as { indexes: CompositeIndex[] };
const committedKeys = new Set(committed.indexes.map(indexKey));

describe('session lists', () => {
  it('when a manager lists without a team, then the query is scoped to their teams', () => {
    const result = planSessionList({ kind: 'call', state: 'queued' }, ['team-a', 'team-b'], { size: 10 });
    expect(result).toMatchObject({
      plan: {
        equals: [
          ['kind', 'call'],
          ['listState', 'queued'],
        ],
        array: { field: 'teamIds', op: 'array-contains-any', values: ['team-a', 'team-b'] },
        limit: 11,
      },
    });
  });

  it('when a manager asks for a team that is not theirs, then nothing is queried', () => {
    expect(
      planSessionList({ kind: 'chat', state: 'connected', teamId: 'team-z' }, ['team-a'], { size: 10 }),
    ).toEqual({ empty: true });
    expect(planSessionList({ kind: 'chat', state: 'connected' }, [], { size: 10 })).toEqual({ empty: true });
  });

  it('when searching, then team scope and the term are one array filter', () => {
    const result = planSessionList({ kind: 'call', state: 'connected', search: 'Lovelace Ada' }, ['team-a'], {
      size: 10,
    });
    expect(result).toMatchObject({
      plan: { array: { field: 'searchTokens', op: 'array-contains', value: 'team-a|lovelace' } },
    });
    const admin = planSessionList({ kind: 'call', state: 'connected', search: 'ada' }, 'all', { size: 10 });
    expect(admin).toMatchObject({ plan: { array: { value: '*|ada' } } });
  });

  it('a session is found by a prefix of the consumer or agent name, or their ids, from its teams or all', () => {
    const events = buildScenario([0], [60_000], false, { sessionId: 'S-9' });
    const session = fold('S-9', events);
    const listing = sessionListing(session, ['team-a']);
    for (const query of ['ada', 'Lovelace', 'LOVE', 'c-1', 'Ádá']) {
      const key = searchKey(query)!;
      expect(listing.searchTokens, query).toContain(`team-a|${key}`);
      expect(listing.searchTokens, query).toContain(`*|${key}`);
    }
    expect(listing.searchTokens).not.toContain('team-b|ada');
    expect(listing.searchTokens).not.toContain('*|bob');
  });

  it('when a session waits longer than the threshold, then it is stuck', () => {
    const since = '2026-11-22T05:00:00.000Z';
    const thresholds = { queuedMinutes: 300, connectedMinutes: 480 };
    expect(
      isStuck({ listState: 'queued', stateSince: since }, thresholds, new Date('2026-11-22T10:00:00.000Z')),
    ).toBe(false);
    expect(
      isStuck({ listState: 'queued', stateSince: since }, thresholds, new Date('2026-11-22T10:00:01.000Z')),
    ).toBe(true);
    expect(
      isStuck(
        { listState: 'connected', stateSince: since },
        thresholds,
        new Date('2026-11-22T12:59:00.000Z'),
      ),
    ).toBe(false);
    expect(
      isStuck({ listState: 'ended', stateSince: since }, thresholds, new Date('2030-01-01T00:00:00.000Z')),
    ).toBe(false);
  });
});

describe('firestore.indexes.json', () => {
  it('is what the query planners need (run npm run indexes after changing a query)', () => {
    expect(readFileSync('firestore.indexes.json', 'utf8')).toBe(indexesFile());
  });

  it('backs every session list query the planner can issue, whatever the filters and scope', () => {
    const filters = fc.record(
      {
        kind: fc.constantFrom('call' as const, 'chat' as const),
        state: fc.constantFrom('queued' as const, 'connected' as const),
        channel: fc.constantFrom('ivr' as const, 'mobile' as const, 'web' as const, 'sms' as const),
        queueId: fc.constantFrom('q-1', 'q-2'),
        agentId: fc.constantFrom('a-1', 'a-2'),
        teamId: fc.constantFrom('t1', 't2', 't9'),
        search: fc.constantFrom('ada', 'lovelace grace', '42'),
      },
      { requiredKeys: ['kind', 'state'] },
    );
    const scope = fc.oneof(
      fc.constant('all' as const),
      fc.uniqueArray(fc.constantFrom('t1', 't2', 't3'), { maxLength: 3 }),
    );
    fc.assert(
      fc.property(
        filters,
        scope,
        fc.option(fc.constant({ sortKey: '2026-01-01T00:00:00.000Z', id: 'S' }), { nil: undefined }),
        (f, s, after) => {
          const result = planSessionList(f as SessionListFilters, s, {
            size: 25,
            ...(after ? { after } : {}),
          });
          if (!('plan' in result)) return;
          const index = indexFor(result.plan);
          if (index.fields.length > 1) expect(committedKeys).toContain(indexKey(index));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('backs every agent list query', () => {
    for (const scope of ['all' as const, ['t1'], ['t1', 't2']])
      for (const filters of [{}, { teamId: 't1' }, { search: 'sam' }, { teamId: 't1', search: 'sam' }]) {
        const result = planAgentList(filters, scope, { size: 25 });
        if ('plan' in result) expect(committedKeys).toContain(indexKey(indexFor(result.plan)));
      }
  });
});
