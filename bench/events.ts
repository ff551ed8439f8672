import { Firestore } from '@google-cloud/firestore';
import type { IngestDeps } from '../functions/src/app/ingest-session-event.js';
import { composePlatformEventsPubSub } from '../functions/src/composition/platform-events.js';
import { functionConfig } from '../functions/src/config.js';
import { sessionListing, type SessionListing } from '../functions/src/domain/supervision/session-listing.js';
import type { MonitorStore } from '../functions/src/ports/supervision.js';
import { SessionEvent } from '../functions/src/domain/sessions/events.js';
import { emptySession, fold, applyEvent, type Session } from '../functions/src/domain/sessions/session.js';
import { platformEventsRoutes } from '../functions/src/http/platform-events.js';
import { signPlatformRequest } from '../functions/src/http/platform-signature.js';
import type { RouteContext } from '../functions/src/http/router.js';
import { configureLogs } from '../functions/src/log.js';
import type { SessionRepository, SessionTransaction } from '../functions/src/ports/session-repository.js';
import { buildScenario } from '../test/support/session-scenarios.js';
import { median, pool, report, withFirestoreEmulator } from './support.js';

/**
 * Events per second through the platformEvents handler (signature, JSON, schema, state machine,
 * Firestore), next to bare Firestore doing the same reads and writes: per event one read of the
 * session, then one batch that updates (or creates) the session under a precondition and creates
 * the event. Sessions are worked in parallel, each session's events in order, as the platform sends them.
 */
const SECRET = 'bench-signing-secret-0123456789abcdef0123';
const SESSIONS = 60;
const MOVES_PER_SESSION = 12;
const IN_FLIGHT = 32;
const ROUNDS = 4;

interface Prepared {
  sessionId: string;
  events: SessionEvent[];
  bodies: Buffer[];
  states: Session[];
  listings: SessionListing[];
}

function prepare(prefix: string): Prepared[] {
  return Array.from({ length: SESSIONS }, (_, i) => {
    const sessionId = `${prefix}-${i}`;
    const events = buildScenario(
      Array.from({ length: MOVES_PER_SESSION }, (_, k) => (i * 31 + k * 17) % 1000),
      [5_000, 60_000],
      true,
      { sessionId },
    );
    const states: Session[] = [];
    events.reduce((s, e) => {
      const next = applyEvent(s, e);
      states.push(next);
      return next;
    }, emptySession(sessionId));
    const listings = states.map((s) => sessionListing(s, ['team-billing']));
    return { sessionId, events, states, listings, bodies: events.map((e) => Buffer.from(JSON.stringify(e))) };
  });
}

function request(body: Buffer): RouteContext {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = {
    'x-switchboard-timestamp': timestamp,
    'x-switchboard-signature': signPlatformRequest(SECRET, Number(timestamp), {
      method: 'POST',
      path: '/v1/events',
      body,
    }),
  };
  return {
    req: {
      method: 'POST',
      originalUrl: '/v1/events',
      rawBody: body,
      header: (name: string) => headers[name.toLowerCase()],
    } as never,
    params: {},
    log: {},
    json: () => JSON.parse(body.toString('utf8')),
  };
}

function handlerFor(ingest: IngestDeps) {
  const route = platformEventsRoutes({
    signing: { secrets: [SECRET], maxSkewSeconds: 300, acceptV1: false },
    signedRequests: () => {
      throw new Error('not asked in this benchmark');
    },
    ingest: () => ingest,
    deflection: () => {
      throw new Error('not asked in this benchmark');
    },
    clock: { now: () => new Date() },
  }).find((r) => r.path === '/v1/events')!;
  return (body: Buffer) => route.handle(request(body));
}

/** Ingestion as the platform event functions compose it, on the project the emulator's client uses. */
async function throughHandler(projectId: string, work: Prepared[]) {
  const config = functionConfig('platformEventsPubSub', { GOOGLE_CLOUD_PROJECT: projectId });
  const handle = handlerFor(composePlatformEventsPubSub(config).ingest());
  const started = performance.now();
  await pool(work, IN_FLIGHT, async (session) => {
    for (const body of session.bodies) await handle(body);
  });
  return count(work) / ((performance.now() - started) / 1000);
}

async function bareFirestore(db: Firestore, work: Prepared[]) {
  const started = performance.now();
  await pool(work, IN_FLIGHT, async ({ sessionId, events, states, listings }) => {
    const ref = db.collection('sessions').doc(sessionId);
    for (let i = 0; i < events.length; i++) {
      const snapshot = await ref.get();
      const batch = db.batch();
      const data = { ...states[i]!, ...listings[i]!, updatedAt: new Date() };
      if (snapshot.exists) batch.update(ref, data, { lastUpdateTime: snapshot.updateTime! });
      else batch.create(ref, data);
      batch.create(ref.collection('events').doc(events[i]!.eventId), {
        ...events[i]!,
        receivedAt: new Date(),
      });
      await batch.commit();
    }
  });
  return count(work) / ((performance.now() - started) / 1000);
}

const count = (work: Prepared[]) => work.reduce((n, s) => n + s.events.length, 0);

/** The same handler with storage in memory: what one event costs in CPU, without I/O. */
async function cpuPerEvent() {
  const store = new Map<string, Session>();
  const inMemory: SessionRepository = {
    getSession: async (id) => store.get(id),
    inTransaction: async (_id, work) => {
      const writes: (() => void)[] = [];
      const tx: SessionTransaction = {
        getSession: async (id) => store.get(id),
        hasEvent: async () => false,
        listEventsAfter: async () => [],
        getCheckpoint: async () => undefined,
        putCheckpoint: () => {},
        putSession: (s) => writes.push(() => store.set(s.id, s)),
        putEvent: () => {},
      };
      const result = await work(tx);
      writes.forEach((w) => w());
      return result;
    },
  };
  const handle = handlerFor({
    sessions: inMemory,
    queues: { teamsOfQueue: async () => ['team-billing'] },
    monitors: { stopAll: async () => 0 } as unknown as MonitorStore,
    clock: { now: () => new Date() },
  });
  const work = prepare('cpu');
  for (const s of work.slice(0, 10)) for (const b of s.bodies) await handle(b); // warm up
  store.clear();
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    store.clear();
    const before = process.cpuUsage();
    for (const s of work) for (const b of s.bodies) await handle(b);
    const used = process.cpuUsage(before);
    rounds.push((used.user + used.system) / count(work));
  }
  // The state machine alone, for scale.
  const before = process.cpuUsage();
  for (const s of work) fold(s.sessionId, s.events);
  const foldCpu = process.cpuUsage(before);
  return { handler: median(rounds), fold: (foldCpu.user + foldCpu.system) / count(work) };
}

export async function run() {
  configureLogs({ level: 'ERROR' });
  await withFirestoreEmulator(async () => {
    const projectId = `demo-bench-events-${Date.now()}`;
    const db = new Firestore({ projectId });
    // The scenarios' queues, with a team each, as the handler looks them up for supervisors' lists.
    for (const id of ['q-billing', 'q-refunds'])
      await db.doc(`queues/${id}`).set({ teamIds: ['team-billing'] });
    // Warm the emulator and the client's channel before measuring.
    await bareFirestore(db, prepare('warm-bare'));
    await throughHandler(projectId, prepare('warm-handler'));
    const handler: number[] = [];
    const baseline: number[] = [];
    // Alternate which goes first, so that drift in the shared machine's load falls on both.
    for (let round = 0; round < ROUNDS; round++) {
      const bare = () => bareFirestore(db, prepare(`bare-${round}`)).then((v) => baseline.push(v));
      const ours = () => throughHandler(projectId, prepare(`handler-${round}`)).then((v) => handler.push(v));
      if (round % 2 === 0) await bare().then(ours);
      else await ours().then(bare);
    }
    const events = count(prepare('n'));
    report('events', 'handler_events_per_s', median(handler), {
      rounds: handler.map(Math.round),
      events,
      inFlight: IN_FLIGHT,
    });
    report('events', 'baseline_bare_firestore_events_per_s', median(baseline), {
      rounds: baseline.map(Math.round),
    });
    report('events', 'handler_to_baseline_ratio', median(handler) / median(baseline), { target: 0.8 });
    await db.terminate();
  });
  const cpu = await cpuPerEvent();
  report('events', 'handler_cpu_us_per_event_without_io', cpu.handler);
  report('events', 'state_machine_cpu_us_per_event', cpu.fold);
}
