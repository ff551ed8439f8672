import { Firestore } from '@google-cloud/firestore';
import { listSessions } from '../functions/src/app/supervision/lists.js';
import { composeApi } from '../functions/src/composition/api.js';
import { functionConfig } from '../functions/src/config.js';
import { BUILT_IN_ROLES, resolveActor } from '../functions/src/domain/access/permissions.js';
import type { SessionListFilters } from '../functions/src/domain/supervision/session-listing.js';
import { sessionListing } from '../functions/src/domain/supervision/session-listing.js';
import { fold } from '../functions/src/domain/sessions/session.js';
import type { SessionQueries } from '../functions/src/ports/supervision.js';
import { buildScenario } from '../test/support/session-scenarios.js';
import { median, report, withFirestoreEmulator } from './support.js';

/**
 * Supervisors' lists on 10,000 sessions in the Firestore emulator: documents read per page (what
 * Firestore bills) and latency per page through the use case, next to the bare query for the same
 * page written by hand, in the same run.
 */
const SESSIONS = 10_000;
const TEAMS = 10;
const PAGE = 25;
const PAGES_PER_CASE = 8;

const roles = new Map(Object.entries(BUILT_IN_ROLES));
const admin = resolveActor({ uid: 'admin', name: 'Admin', roleIds: ['admin'], teamIds: [] }, roles);
const manager = resolveActor(
  { uid: 'manager', name: 'Manager', roleIds: ['manager'], teamIds: ['team-1', 'team-2'] },
  roles,
);

async function seed(db: Firestore) {
  const writer = db.bulkWriter();
  for (let i = 0; i < SESSIONS; i++) {
    const id = `S-${String(i).padStart(5, '0')}`;
    const team = `team-${i % TEAMS}`;
    const events = buildScenario(
      [(i * 7) % 1000, (i * 13) % 1000, (i * 17) % 1000],
      [30_000 + (i % 97) * 1000],
      i % 5 === 0,
      {
        sessionId: id,
        kind: i % 2 ? 'chat' : 'call',
        startAt: new Date(Date.UTC(2026, 10, 22, 8, 0, i % 3600)),
      },
    );
    const session = fold(id, events);
    writer.set(db.doc(`sessions/${id}`), {
      ...session,
      ...sessionListing(session, [team]),
      updatedAt: new Date(),
    });
  }
  await writer.close();
}

function counting(queries: SessionQueries) {
  const stats = { queries: 0, reads: 0 };
  const wrapped: SessionQueries = {
    ...queries,
    run: async (plan) => {
      const rows = await queries.run(plan);
      stats.queries += 1;
      stats.reads += Math.max(1, rows.length); // Firestore bills at least one read per query
      return rows;
    },
    get: queries.get.bind(queries),
    liveSessionsOfAgents: queries.liveSessionsOfAgents.bind(queries),
    messages: queries.messages.bind(queries),
  };
  return { wrapped, stats };
}

/** The same pages, queried by hand: only the filters, the order and the cursor. */
async function barePages(db: Firestore, filters: SessionListFilters, teams: string[] | 'all') {
  const times: number[] = [];
  let after: [string, string] | undefined;
  for (let p = 0; p < PAGES_PER_CASE; p++) {
    let q = db
      .collection('sessions')
      .where('kind', '==', filters.kind)
      .where('listState', '==', filters.state);
    if (filters.channel) q = q.where('channel', '==', filters.channel);
    if (teams !== 'all') q = q.where('teamIds', 'array-contains-any', teams);
    q = q.orderBy('stateSince').orderBy('__name__');
    if (after) q = q.startAfter(...after);
    const t = performance.now();
    const snap = await q.limit(PAGE + 1).get();
    times.push(performance.now() - t);
    const last = snap.docs[PAGE - 1];
    if (!last) break;
    after = [last.get('stateSince') as string, last.id];
  }
  return times;
}

export async function run() {
  await withFirestoreEmulator(async () => {
    const projectId = `demo-bench-lists-${Date.now()}`;
    const db = new Firestore({ projectId });
    const started = performance.now();
    await seed(db);
    report('lists', 'seeded_sessions', SESSIONS, {
      seconds: Math.round((performance.now() - started) / 100) / 10,
    });

    const deps = composeApi(functionConfig('api', { GOOGLE_CLOUD_PROJECT: projectId })).supervision();
    const cases: [string, typeof admin, SessionListFilters, string[] | 'all'][] = [
      ['admin_connected_calls', admin, { kind: 'call', state: 'connected' }, 'all'],
      ['manager_queued_chats_2_teams', manager, { kind: 'chat', state: 'queued' }, ['team-1', 'team-2']],
      ['admin_connected_chats_ivr', admin, { kind: 'chat', state: 'connected', channel: 'ivr' }, 'all'],
    ];
    await listSessions(deps, admin, { kind: 'call', state: 'queued' }, { size: PAGE }); // warm up
    for (const [name, actor, filters, teams] of cases) {
      const { wrapped, stats } = counting(deps.sessions);
      const caseDeps = { ...deps, sessions: wrapped };
      const times: number[] = [];
      let cursor: string | undefined;
      let pages = 0;
      for (let p = 0; p < PAGES_PER_CASE; p++) {
        const t = performance.now();
        const page = await listSessions(caseDeps, actor, filters, {
          size: PAGE,
          ...(cursor ? { cursor } : {}),
        });
        times.push(performance.now() - t);
        pages += 1;
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      const bare = await barePages(db, filters, teams);
      report('lists', `${name}_reads_per_page`, stats.reads / pages, {
        pageSize: PAGE,
        queriesPerPage: stats.queries / pages,
        pages,
      });
      report('lists', `${name}_ms_per_page`, median(times), {
        baselineBareQueryMs: Number(median(bare).toFixed(2)),
      });
      report('lists', `${name}_latency_to_baseline_ratio`, median(times) / median(bare));
    }
    await db.terminate();
  });
}
