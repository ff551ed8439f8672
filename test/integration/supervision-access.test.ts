import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestSessionEvent } from '../../functions/src/app/ingest-session-event.js';
import type { SupervisionDeps } from '../../functions/src/app/supervision/deps.js';
import { readAudit } from '../../functions/src/app/supervision/ending.js';
import { listAgents, listSessions } from '../../functions/src/app/supervision/lists.js';
import { barge, startMonitoring } from '../../functions/src/app/supervision/monitoring.js';
import { composeApi } from '../../functions/src/composition/api.js';
import { functionConfig } from '../../functions/src/config.js';
import { BUILT_IN_ROLES, resolveActor } from '../../functions/src/domain/access/permissions.js';
import { AppError } from '../../functions/src/domain/errors.js';
import type { SessionEvent } from '../../functions/src/domain/sessions/events.js';
import { encodeListCursor } from '../../functions/src/domain/supervision/cursors.js';
import type { PlatformCommand } from '../../functions/src/ports/platform-commands.js';
import type { AuditEntry } from '../../functions/src/ports/supervision.js';
import { testFirestore, testProjectId } from '../support/projects.js';

/**
 * Supervision on the Firestore emulator, through the real adapters: a monitor never outlives its
 * session whichever of the start and the end comes first; list cursors reach Firestore only when they
 * are ours; audit pages are full while a next one exists.
 */
const projectId = testProjectId('sup-access');
const db = testFirestore(projectId);
const config = functionConfig('api', {
  GOOGLE_CLOUD_PROJECT: projectId,
  DIRECTORY_CACHE_SECONDS: '0',
});
const supervision = composeApi(config).supervision();
const roles = new Map(Object.entries(BUILT_IN_ROLES));
const manager = resolveActor(
  { uid: 'u-manager', name: 'Morgan', roleIds: ['manager'], teamIds: ['team-a'] },
  roles,
);
const admin = resolveActor({ uid: 'u-admin', name: 'Alex', roleIds: ['admin', 'agent'], teamIds: [] }, roles);

beforeAll(() => db.doc('queues/q-a').set({ teamIds: ['team-a'] }));
afterAll(() => db.terminate());

const event = (sessionId: string, sequence: number, fields: Record<string, unknown>) =>
  ({
    schemaVersion: 1,
    sessionId,
    eventId: `${sessionId}-${sequence}`,
    sequence,
    occurredAt: new Date(Date.UTC(2026, 10, 22, 9, 0, sequence)).toISOString(),
    ...fields,
  }) as SessionEvent;

async function connectedCall(sessionId: string) {
  await ingestSessionEvent(
    base.ingest,
    event(sessionId, 0, {
      type: 'session.created',
      kind: 'call',
      channel: 'ivr',
      queue: { id: 'q-a', menuPath: ['Billing'] },
      language: 'en',
      consumer: { id: 'c-1', anonymous: false },
    }),
  );
  await ingestSessionEvent(
    base.ingest,
    event(sessionId, 1, { type: 'session.connected', agent: { id: 'ari' } }),
  );
}

const endSession = (sessionId: string) =>
  ingestSessionEvent(base.ingest, event(sessionId, 2, { type: 'session.ended', reason: 'consumer_left' }));

/** The commands published, each with whether its session's end was already stored when it went. */
const published: (PlatformCommand & { afterEnd: boolean })[] = [];
const base: SupervisionDeps = {
  ...supervision,
  commands: {
    publish: async (c: PlatformCommand) => {
      const afterEnd = (await db.doc(`sessions/${c.sessionId}`).get()).get('status') === 'ended';
      published.push({ ...c, afterEnd });
    },
  },
};

/**
 * No monitor of the session is active, and every monitor.start or barge published once its end was
 * stored is followed by a monitor.stop (one published before the end ends with the call).
 */
async function nothingLeftRunning(sessionId: string, uid: string) {
  const monitor = await db.doc(`monitors/${sessionId}__${uid}`).get();
  expect(monitor.exists ? monitor.get('active') : false).toBe(false);
  const commands = published.filter((c) => c.sessionId === sessionId);
  commands.forEach((c, i) => {
    if ((c.type === 'monitor.start' || c.type === 'barge') && c.afterEnd)
      expect(commands.slice(i).map((later) => later.type)).toContain('monitor.stop');
  });
}

describe('a monitor and the end of its session', () => {
  it('when the session ends between the start’s look at it and its write, then no monitor is started and nothing is published', async () => {
    for (const [mode, start] of [
      ['listen', startMonitoring],
      ['barge', barge],
    ] as const) {
      const sessionId = `race-read-${mode}`;
      await connectedCall(sessionId);
      const deps: SupervisionDeps = {
        ...base,
        sessions: {
          run: (plan) => base.sessions.run(plan),
          liveSessionsOfAgents: (ids) => base.sessions.liveSessionsOfAgents(ids),
          messages: (id, limit) => base.sessions.messages(id, limit),
          get: async (id) => {
            const seen = await base.sessions.get(id);
            await endSession(id); // the end lands right after the look
            return seen;
          },
        },
      };
      const refused = await start(deps, manager, sessionId).catch((e: AppError) => e);
      expect(refused).toBeInstanceOf(AppError);
      expect((refused as AppError).details).toEqual({ reason: 'session_not_live' });
      expect((await db.doc(`monitors/${sessionId}__${manager.uid}`).get()).exists).toBe(false);
      expect(published.filter((c) => c.sessionId === sessionId)).toEqual([]);
    }
  });

  it('when the session ends right after the monitor is written, then its end stops it and the platform is told to stop too', async () => {
    for (const [mode, start] of [
      ['listen', startMonitoring],
      ['barge', barge],
    ] as const) {
      const sessionId = `race-write-${mode}`;
      await connectedCall(sessionId);
      const deps: SupervisionDeps = {
        ...base,
        monitors: {
          get: (s, u) => base.monitors.get(s, u),
          stop: (s, u, at) => base.monitors.stop(s, u, at),
          stopAll: (s, at) => base.monitors.stopAll(s, at),
          start: async (...args) => {
            const started = await base.monitors.start(...args);
            await endSession(sessionId); // the end lands right after the write
            return started;
          },
        },
      };
      await start(deps, manager, sessionId);
      await nothingLeftRunning(sessionId, manager.uid);
    }
  });

  it('when starts and ends run at once on many sessions, then no monitor outlives its session', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `race-many-${i}`);
    for (const id of ids) await connectedCall(id);
    await Promise.all(
      ids.flatMap((id, i) => [
        (i % 2 ? barge : startMonitoring)(base, manager, id).catch((e: AppError) => {
          expect(e.details).toEqual({ reason: 'session_not_live' });
        }),
        endSession(id),
      ]),
    );
    for (const id of ids) await nothingLeftRunning(id, manager.uid);
  });
});

describe('list cursors on Firestore', () => {
  it('when any cursor is given to any list, then it is a page or a 400 invalid_cursor, never a failed query', async () => {
    await connectedCall('cursor-1');
    const tried = { sessions: 0, agents: 0, audit: 0 };
    const sessionFilters = { kind: 'call' as const, state: 'connected' as const };
    const cursorText = fc.oneof(
      fc.string({ minLength: 1 }),
      fc.base64String({ minLength: 1 }),
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
      fc
        .tuple(fc.string(), fc.string({ minLength: 1 }))
        .map(([sortKey, id]) => encodeListCursor('agents', {}, { sortKey, id })),
      fc
        .tuple(fc.date({ noInvalidDate: true }), fc.string({ minLength: 1 }))
        .map(([at, id]) => encodeListCursor('sessions', sessionFilters, { sortKey: at.toISOString(), id })),
      fc
        .tuple(fc.date({ noInvalidDate: true }), fc.string({ minLength: 1 }))
        .map(([at, id]) => encodeListCursor('audit', {}, { sortKey: at.toISOString(), id })),
    );
    await fc.assert(
      fc.asyncProperty(cursorText, fc.constantFrom('sessions', 'agents', 'audit'), async (cursor, list) => {
        tried[list]++;
        const page = { size: 5, cursor };
        const run =
          list === 'sessions'
            ? listSessions(base, admin, sessionFilters, page)
            : list === 'agents'
              ? listAgents(base, admin, {}, page)
              : readAudit(base, admin, {}, page);
        const answer = await run.then(
          () => 'page',
          (e: unknown) => (e instanceof AppError ? `${e.status} ${JSON.stringify(e.details)}` : e),
        );
        if (answer !== 'page') expect(answer).toMatch(/^400 .*invalid_cursor/);
      }),
      { numRuns: 150 },
    );
    expect(Math.min(...Object.values(tried))).toBeGreaterThan(10);
  });

  it('when audit entries about the reader are most of the trail, then every page is full while a next one exists', async () => {
    const batch = db.batch();
    for (let i = 0; i < 40; i++) {
      const entry: AuditEntry = {
        id: `audit-${String(i).padStart(2, '0')}`,
        at: new Date(Date.UTC(2026, 10, 22, 10, 0, Math.floor(i / 2))).toISOString(),
        action: 'monitor.started',
        actorUid: 'u-manager',
        sessionId: 'audit-session',
        kind: 'call',
        // The admin is also an agent: entries of their own calls being monitored are not shown to them.
        agentId: i % 5 === 0 ? 'ari' : admin.uid,
        teamIds: ['team-a'],
      };
      batch.set(db.doc(`audit/${entry.id}`), entry);
    }
    await batch.commit();
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await readAudit(
        base,
        admin,
        { sessionId: 'audit-session' },
        { size: 3, ...(cursor ? { cursor } : {}) },
      );
      seen.push(...page.items.map((e) => e.id));
      if (!page.nextCursor) break;
      expect(page.items).toHaveLength(3);
      cursor = page.nextCursor;
    }
    expect(seen).toEqual([
      'audit-35',
      'audit-30',
      'audit-25',
      'audit-20',
      'audit-15',
      'audit-10',
      'audit-05',
      'audit-00',
    ]);
    // A cursor of this filter is no cursor of another.
    const first = await readAudit(base, admin, { sessionId: 'audit-session' }, { size: 3 });
    const elsewhere = await readAudit(base, admin, {}, { size: 3, cursor: first.nextCursor! }).catch(
      (e: AppError) => e.details,
    );
    expect(JSON.stringify(elsewhere)).toMatch(/invalid_cursor/);
  });
});
