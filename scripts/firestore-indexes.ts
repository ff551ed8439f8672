import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { indexFor, indexKey, type CompositeIndex } from '../functions/src/adapters/firestore/indexes.js';
import { planAgentList } from '../functions/src/domain/supervision/agent-listing.js';
import { planPeopleList } from '../functions/src/domain/access/people-list.js';
import {
  planSessionList,
  type SessionListFilters,
} from '../functions/src/domain/supervision/session-listing.js';
import { ROOT } from './export-schemas.js';

/**
 * Every composite index the code's queries need, generated from the same planners the code queries
 * with: every combination of list filters, for a person with all teams, one team and several teams,
 * plus the fixed queries of the adapters. `npm run indexes` writes firestore.indexes.json; a unit test
 * fails when the file and the code part ways.
 */
const subsets = <T>(items: T[]): T[][] =>
  items.reduce<T[][]>((all, item) => all.concat(all.map((s) => [...s, item])), [[]]);

const scopes: ('all' | string[])[] = ['all', ['t1'], ['t1', 't2']];

function* sessionListPlans() {
  const optional: (keyof SessionListFilters)[] = ['channel', 'queueId', 'agentId', 'teamId', 'search'];
  const sample: Partial<SessionListFilters> = {
    channel: 'ivr',
    queueId: 'q',
    agentId: 'a',
    teamId: 't1',
    search: 'ada',
  };
  for (const kind of ['call', 'chat'] as const)
    for (const state of ['queued', 'connected'] as const)
      for (const chosen of subsets(optional))
        for (const scope of scopes) {
          const filters: SessionListFilters = {
            kind,
            state,
            ...Object.fromEntries(chosen.map((k) => [k, sample[k]])),
          };
          const result = planSessionList(filters, scope, { size: 25 });
          if ('plan' in result) yield result.plan;
        }
}

function* agentListPlans() {
  for (const chosen of subsets(['teamId', 'search'] as const))
    for (const scope of scopes) {
      const result = planAgentList(
        Object.fromEntries(chosen.map((k) => [k, k === 'teamId' ? 't1' : 'ada'])),
        scope,
        { size: 25 },
      );
      if ('plan' in result) yield result.plan;
    }
}

function* peopleListPlans() {
  for (const chosen of subsets(['teamId', 'search'] as const)) {
    const result = planPeopleList(Object.fromEntries(chosen.map((k) => [k, k === 'teamId' ? 't1' : 'ada'])), {
      size: 25,
    });
    if ('plan' in result) yield result.plan;
  }
}

const asc = (fieldPath: string) => ({ fieldPath, order: 'ASCENDING' as const });
const desc = (fieldPath: string) => ({ fieldPath, order: 'DESCENDING' as const });

/** Queries written by hand in the adapters (adapters/firestore/supervision.ts, directory.ts, scheduled-calls.ts, recording-plans.ts, chats.ts). */
const fixed: CompositeIndex[] = [
  { collectionGroup: 'events', queryScope: 'COLLECTION', fields: [asc('type'), desc('sequence')] },
  { collectionGroup: 'sessions', queryScope: 'COLLECTION', fields: [asc('agent.id'), asc('listState')] },
  { collectionGroup: 'sessions', queryScope: 'COLLECTION', fields: [asc('queue.id'), asc('listState')] },
  { collectionGroup: 'monitors', queryScope: 'COLLECTION', fields: [asc('sessionId'), asc('active')] },
  { collectionGroup: 'scheduledCalls', queryScope: 'COLLECTION', fields: [asc('queueId'), asc('start')] },
  { collectionGroup: 'audit', queryScope: 'COLLECTION', fields: [asc('sessionId'), desc('at')] },
  { collectionGroup: 'audit', queryScope: 'COLLECTION', fields: [asc('actorUid'), desc('at')] },
  {
    collectionGroup: 'audit',
    queryScope: 'COLLECTION',
    fields: [asc('sessionId'), asc('actorUid'), desc('at')],
  },
  { collectionGroup: 'recordings', queryScope: 'COLLECTION', fields: [asc('status'), asc('purgeAt')] },
  { collectionGroup: 'chats', queryScope: 'COLLECTION', fields: [asc('queueId'), asc('phase')] },
  { collectionGroup: 'recordings', queryScope: 'COLLECTION', fields: [asc('status'), desc('updatedAt')] },
];

export function requiredIndexes(): CompositeIndex[] {
  const byKey = new Map<string, CompositeIndex>();
  for (const plan of [...sessionListPlans(), ...agentListPlans(), ...peopleListPlans()]) {
    const index = indexFor(plan);
    // One ordered field alone is a single-field index, which Firestore keeps by itself.
    if (index.fields.length > 1) byKey.set(indexKey(index), index);
  }
  for (const index of fixed) byKey.set(indexKey(index), index);
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, index]) => index);
}

export const indexesFile = () =>
  `${JSON.stringify({ indexes: requiredIndexes(), fieldOverrides: [] }, null, 2)}\n`;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(resolve(ROOT, 'firestore.indexes.json'), indexesFile());
  console.log(`wrote firestore.indexes.json (${requiredIndexes().length} composite indexes)`);
}
