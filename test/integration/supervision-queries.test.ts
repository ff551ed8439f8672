import { afterAll, describe, expect, it } from 'vitest';
import { FirestoreSessionQueries } from '../../functions/src/adapters/firestore/supervision.js';
import { testFirestore, testProjectId } from '../support/projects.js';

const db = testFirestore(testProjectId('sup-queries'));
afterAll(() => db.terminate());

describe('supervision queries on the Firestore emulator', () => {
  it('when a page holds more agents than one `in` filter takes, then every connected session of theirs is found', async () => {
    const agents = Array.from({ length: 70 }, (_, i) => `agent-${i}`);
    const batch = db.batch();
    for (const [i, agent] of agents.entries()) {
      batch.set(db.doc(`sessions/S-${i}`), {
        id: `S-${i}`,
        agent: { id: agent },
        listState: i % 2 ? 'connected' : 'ended',
      });
    }
    await batch.commit();
    const found = await new FirestoreSessionQueries(db).liveSessionsOfAgents(agents);
    expect(found.map((s) => s.id).sort()).toEqual(
      agents
        .map((_, i) => i)
        .filter((i) => i % 2)
        .map((i) => `S-${i}`)
        .sort(),
    );
  });
});
