import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_AUDIT_ENTRIES_SCANNED,
  readAudit,
  requestEnd,
} from '../../functions/src/app/supervision/ending.js';
import {
  barge,
  getSessionDetails,
  readChatThread,
  startMonitoring,
  stopMonitoring,
} from '../../functions/src/app/supervision/monitoring.js';
import { DeflectionEngine } from '../../functions/src/app/deflection/engine.js';
import { listTransferTargets } from '../../functions/src/app/deflection/transfers.js';
import {
  accessToRecording,
  accessToSession,
  authorize,
  type SessionActionType,
} from '../../functions/src/domain/access/authorize.js';
import {
  BUILT_IN_ROLES,
  Permission,
  resolveActor,
  type Actor,
  type RoleDefinition,
} from '../../functions/src/domain/access/permissions.js';
import { AppError } from '../../functions/src/domain/errors.js';
import type { Clock } from '../../functions/src/ports/clock.js';
import type { AuditEntry } from '../../functions/src/ports/supervision.js';
import { listedSession, memorySupervision } from '../support/supervision-fakes.js';

/**
 * What a person may do with a session, as the use cases answer it: the flags of the details agree
 * with the calls, and a session outside what the person may see is answered as one that is not there.
 */
const roles = new Map<string, RoleDefinition>([
  ...Object.entries(BUILT_IN_ROLES),
  ['trainee', { name: 'Trainee', permissions: ['Monitor-Calls', 'Monitor-Chats'], scope: 'assigned_teams' }],
  ['closer', { name: 'Closer', permissions: ['Monitor-Chats-Edit'], scope: 'all_teams' }],
  ['team-closer', { name: 'Team closer', permissions: ['Monitor-Chats-Edit'], scope: 'assigned_teams' }],
  // Sees every team's sessions, acts on its own teams' only (with the manager role).
  ['watcher', { name: 'Watcher', permissions: ['Monitor-Calls', 'Monitor-Chats'], scope: 'all_teams' }],
  ['calls', { name: 'Calls only', permissions: ['Monitor-Calls', 'Barge'], scope: 'assigned_teams' }],
  [
    'viewer-closer',
    { name: 'Viewer', permissions: ['Monitor-Chats', 'Monitor-Chats-Edit'], scope: 'all_teams' },
  ],
]);

const person = (uid: string, roleIds: string[], teamIds: string[]) => ({
  uid,
  name: uid,
  roleIds,
  teamIds,
});
const everyone = [
  person('admin', ['admin'], []),
  person('manager', ['manager'], ['team-a']),
  person('trainee', ['agent', 'trainee'], ['team-a']),
  person('agent', ['agent'], ['team-a']),
  person('closer', ['closer'], []),
  person('team-closer', ['team-closer'], ['team-a']),
  person('calls', ['calls'], ['team-a']),
  person('viewer-closer', ['viewer-closer'], ['team-b']),
  person('teamless', ['manager'], []),
  person('supervisor', ['manager', 'watcher'], ['team-a']),
];
const actors = everyone.map((p) => resolveActor(p, roles));

const sessionCases = (['call', 'chat'] as const).flatMap((kind) =>
  (['queued', 'connected', 'ended'] as const).flatMap((listState) =>
    [['team-a'], ['team-b'], []].map((teamIds) => ({ kind, listState, teamIds })),
  ),
);

/** The outcome of a call: 'ok', or the status and what the body would say. */
async function outcome(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'ok';
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return `${error.status} ${error.code} ${JSON.stringify(error.details ?? null)} ${error.message}`;
  }
}

describe("a session's details and its action flags (MON-4)", () => {
  it('for every role, team relation, kind and state: each flag is on exactly when the call would be accepted', async () => {
    let shown = 0;
    for (const actor of actors) {
      for (const c of sessionCases) {
        const fresh = () =>
          memorySupervision({ sessions: [listedSession('S-1', c)], people: everyone, roles });
        let details: Awaited<ReturnType<typeof getSessionDetails>>;
        try {
          details = await getSessionDetails(fresh().deps, actor, 'S-1');
        } catch (error) {
          // Only a refusal (the session is out of reach) skips the case; anything else is a failure.
          if (error instanceof AppError && (error.status === 403 || error.status === 404)) continue;
          throw error;
        }
        shown++;
        const calls = {
          monitor: (d: ReturnType<typeof fresh>['deps']) => startMonitoring(d, actor, 'S-1'),
          barge: (d: ReturnType<typeof fresh>['deps']) => barge(d, actor, 'S-1'),
          end: (d: ReturnType<typeof fresh>['deps']) => requestEnd(d, actor, 'S-1'),
        };
        for (const [flag, call] of Object.entries(calls)) {
          const accepted = (await outcome(() => call(fresh().deps))) === 'ok';
          expect(
            { who: actor.uid, session: c, flag, shown: details.actions[flag as keyof typeof calls] },
            'the flag matches the call',
          ).toEqual({ who: actor.uid, session: c, flag, shown: accepted });
        }
      }
    }
    expect(shown).toBeGreaterThan(40);
  });

  it("when a manager opens a call of their team, then every action is on; another team's closer sees end only where they may end", async () => {
    const { deps } = memorySupervision({
      sessions: [listedSession('S-1', { kind: 'call', listState: 'connected', teamIds: ['team-a'] })],
      people: everyone,
      roles,
    });
    const [manager, , , , , , , viewerCloser] = actors;
    expect((await getSessionDetails(deps, manager!, 'S-1')).actions).toEqual({
      monitor: true,
      barge: true,
      end: true,
    });
    const chat = memorySupervision({
      sessions: [listedSession('S-2', { kind: 'chat', listState: 'connected', teamIds: ['team-a'] })],
      roles,
    });
    // All-teams Monitor-Chats-Edit with Monitor-Chats: sees a chat of team-a and may end it.
    expect((await getSessionDetails(chat.deps, viewerCloser!, 'S-2')).actions).toEqual({
      monitor: true,
      barge: false,
      end: true,
    });
  });
});

/** Deflection before an admin has set it up: the transfer list answers its 409 once the session is allowed. */
const unconfiguredEngine = (clock: Clock) =>
  new DeflectionEngine(
    {
      load: async () => ({ config: undefined, version: 0 }),
      save: async () => 0,
      watchVersion: () => () => {},
    },
    60_000,
    clock,
  );

/** Every route on one session, as the use cases answer it. */
const routes: [
  string,
  SessionActionType,
  (deps: ReturnType<typeof memorySupervision>['deps'], actor: Actor, id: string) => Promise<unknown>,
][] = [
  ['details', 'session.view', (d, a, id) => getSessionDetails(d, a, id)],
  ['thread', 'session.view', (d, a, id) => readChatThread(d, a, id, 10)],
  ['monitor', 'session.monitor', (d, a, id) => startMonitoring(d, a, id)],
  ['barge', 'session.barge', (d, a, id) => barge(d, a, id)],
  ['end request', 'session.end', (d, a, id) => requestEnd(d, a, id)],
  [
    'transfer targets',
    'session.view',
    (d, a, id) =>
      listTransferTargets(
        {
          sessions: d.sessions,
          engine: unconfiguredEngine(d.clock),
          presence: { loggedIn: async () => new Set<string>() } as never,
          clock: d.clock,
        },
        a,
        id,
      ),
  ],
];

describe('404 or 403: a person outside a team cannot learn which sessions exist', () => {
  it('for every person, route and session they may not see, the answer is exactly the one for an id that does not exist', async () => {
    let hidden = 0;
    for (const actor of actors) {
      for (const c of sessionCases) {
        const session = listedSession('S-1', c);
        const visible = authorize(actor, {
          type: 'session.view',
          session: { kind: c.kind, teamIds: c.teamIds },
        });
        for (const [route, type, call] of routes) {
          const target = { kind: c.kind, teamIds: c.teamIds };
          // May neither see the session nor take this action on it.
          const outside = !visible.allowed && !authorize(actor, { type, session: target }).allowed;
          const { deps } = memorySupervision({ sessions: [session], people: everyone, roles });
          const existing = await outcome(() => call(deps, actor, 'S-1'));
          const missing = await outcome(() => call(deps, actor, 'S-404'));
          if (outside) {
            hidden++;
            expect({ route, who: actor.uid, c, answer: existing }).toEqual({
              route,
              who: actor.uid,
              c,
              answer: missing,
            });
          }
          // A 403 is only ever about the person, or about a session they may see.
          if (existing.startsWith('403') && outside)
            expect(existing, `${route} ${actor.uid}`).toMatch(/missing_permission/);
        }
      }
    }
    expect(hidden).toBeGreaterThan(100);
  });

  it('when a manager asks for a session of another team, then 404 as for a missing one; without the permission at all, 403 for both', async () => {
    const { deps } = memorySupervision({
      sessions: [listedSession('S-b', { kind: 'call', listState: 'connected', teamIds: ['team-b'] })],
      roles,
    });
    const manager = actors[1]!;
    const agent = actors[3]!;
    expect(await outcome(() => getSessionDetails(deps, manager, 'S-b'))).toMatch(/^404 not_found/);
    expect(await outcome(() => barge(deps, manager, 'S-b'))).toMatch(/^404 not_found/);
    expect(await outcome(() => getSessionDetails(deps, agent, 'S-b'))).toMatch(/^403 .*missing_permission/);
    expect(await outcome(() => getSessionDetails(deps, agent, 'S-none'))).toMatch(
      /^403 .*missing_permission/,
    );
  });

  it('for any roles and teams: a refusal on a session one may not see is the refusal on no session', () => {
    const types: SessionActionType[] = ['session.view', 'session.monitor', 'session.barge', 'session.end'];
    const teams = fc.subarray(['t1', 't2', 't3']);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            permissions: fc.subarray([...Permission.options]),
            scope: fc.constantFrom('all_teams' as const, 'assigned_teams' as const),
          }),
          { maxLength: 3 },
        ),
        teams,
        fc.constantFrom('call' as const, 'chat' as const),
        teams,
        fc.constantFrom(...types),
        (defined, personTeams, kind, sessionTeams, type) => {
          const custom = new Map(defined.map((r, i) => [`r${i}`, { name: `r${i}`, ...r }]));
          const actor = resolveActor(
            { uid: 'u', name: 'u', roleIds: [...custom.keys()], teamIds: personTeams },
            custom,
          );
          const session = { kind, teamIds: sessionTeams };
          const access = accessToSession(actor, type, session);
          const allowed = authorize(actor, { type, session }).allowed;
          expect(access.outcome === 'allowed').toBe(allowed);
          if (!allowed && !authorize(actor, { type: 'session.view', session }).allowed)
            expect(access).toEqual(accessToSession(actor, type, undefined));
        },
      ),
    );
  });

  it('a recording download: no second factor or no permission is a 403 for any id; outside the teams, a 404', () => {
    const mfa = (a: Actor): Actor => ({ ...a, multiFactor: true });
    const [admin, manager, , agent] = actors;
    const teamB = { session: { kind: 'call' as const, teamIds: ['team-b'] } };
    expect(accessToRecording(manager!, teamB)).toEqual({
      outcome: 'forbidden',
      reason: 'multi_factor_required',
    });
    expect(accessToRecording(manager!, undefined)).toEqual({
      outcome: 'forbidden',
      reason: 'multi_factor_required',
    });
    expect(accessToRecording(mfa(agent!), teamB)).toEqual(accessToRecording(mfa(agent!), undefined));
    expect(accessToRecording(mfa(manager!), teamB)).toEqual({ outcome: 'hidden' });
    expect(accessToRecording(mfa(manager!), { session: null })).toEqual({ outcome: 'hidden' });
    expect(accessToRecording(mfa(manager!), undefined)).toEqual({ outcome: 'hidden' });
    expect(accessToRecording(mfa(manager!), { session: { kind: 'call', teamIds: ['team-a'] } })).toEqual({
      outcome: 'allowed',
    });
    expect(accessToRecording(mfa(admin!), { session: null })).toEqual({ outcome: 'allowed' });
  });
});

describe('listening while barging', () => {
  it('when a manager barges, then asks to listen, then the monitor stays a barge and no monitor.start is published; stopping stops it once', async () => {
    const { deps, published } = memorySupervision({
      sessions: [listedSession('S-1', { kind: 'call', listState: 'connected', teamIds: ['team-a'] })],
      roles,
    });
    const manager = actors[1]!;
    const barged = await barge(deps, manager, 'S-1');
    const listened = await startMonitoring(deps, manager, 'S-1');
    expect(listened).toEqual(barged);
    expect(listened.mode).toBe('barge');
    expect(published.map((c) => c.type)).toEqual(['barge', 'barge']);
    expect(new Set(published.map((c) => c.commandId)).size).toBe(1);
    await stopMonitoring(deps, manager, 'S-1');
    await stopMonitoring(deps, manager, 'S-1');
    // A repeated stop repeats the command with the same id, which the platform deduplicates.
    expect(published.map((c) => c.type)).toEqual(['barge', 'barge', 'monitor.stop', 'monitor.stop']);
    expect(new Set(published.slice(2).map((c) => c.commandId)).size).toBe(1);
    expect((await getSessionDetails(deps, manager, 'S-1')).yourMonitor).toBeNull();
  });

  it('when a manager listens, then barges, then the platform gets the start then the barge, each once per request', async () => {
    const { deps, published, audit } = memorySupervision({
      sessions: [listedSession('S-1', { kind: 'call', listState: 'connected', teamIds: ['team-a'] })],
      roles,
    });
    const manager = actors[1]!;
    await startMonitoring(deps, manager, 'S-1');
    await barge(deps, manager, 'S-1');
    expect(published.map((c) => c.type)).toEqual(['monitor.start', 'barge']);
    expect([...audit.values()].map((e) => e.action).sort()).toEqual(['barge.started', 'monitor.started']);
  });
});

describe('the audit trail', () => {
  it('when a thousand entries and more are about the reader, then no page reads past more than its bound, and paging on still finds every other entry once', async () => {
    const { deps, audit } = memorySupervision({ roles });
    const admin = actors[0]!;
    const total = MAX_AUDIT_ENTRIES_SCANNED * 2 + 150;
    for (let i = 0; i < total; i++) {
      const entry: AuditEntry = {
        id: `e-${String(i).padStart(5, '0')}`,
        at: new Date(Date.UTC(2026, 10, 22, 9, 0, 0) - i * 1000).toISOString(),
        action: 'monitor.started',
        actorUid: 'manager',
        sessionId: 'S-1',
        kind: 'call',
        agentId: i % 700 === 699 ? 'ari' : admin.uid,
        teamIds: ['team-a'],
      };
      audit.set(entry.id, entry);
    }
    let read = 0;
    const list = deps.audit.list.bind(deps.audit);
    const counted = {
      ...deps,
      audit: {
        ...deps.audit,
        list: async (...args: Parameters<typeof list>) => {
          const batch = await list(...args);
          read += batch.length;
          return batch;
        },
      },
    };
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 50; pages++) {
      read = 0;
      const page = await readAudit(counted, admin, {}, { size: 5, ...(cursor ? { cursor } : {}) });
      expect(read).toBeLessThanOrEqual(MAX_AUDIT_ENTRIES_SCANNED + 6);
      seen.push(...page.items.map((e) => e.id));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(['e-00699', 'e-01399', 'e-02099']);
  });

  it('when most entries are about the reader as the monitored agent, then every page but the last is full, and each other entry comes once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.boolean(), { minLength: 0, maxLength: 60 }),
        fc.integer({ min: 1, max: 7 }),
        async (aboutReader, size) => {
          const { deps, audit } = memorySupervision({ roles });
          const admin = actors[0]!;
          aboutReader.forEach((own, i) => {
            const entry: AuditEntry = {
              id: `e-${String(i).padStart(3, '0')}`,
              at: new Date(Date.UTC(2026, 10, 22, 9, 0, Math.floor(i / 3))).toISOString(),
              action: 'monitor.started',
              actorUid: 'manager',
              sessionId: 'S-1',
              kind: 'call',
              agentId: own ? admin.uid : 'ari',
              teamIds: ['team-a'],
            };
            audit.set(entry.id, entry);
          });
          const seen: string[] = [];
          let cursor: string | undefined;
          for (let pages = 0; pages < 100; pages++) {
            const page = await readAudit(deps, admin, {}, { size, ...(cursor ? { cursor } : {}) });
            seen.push(...page.items.map((e) => e.id));
            if (page.nextCursor === null) break;
            expect(page.items).toHaveLength(size);
            cursor = page.nextCursor;
          }
          const expected = [...audit.values()]
            .filter((e) => e.agentId !== admin.uid)
            .sort((a, b) => (a.at === b.at ? (a.id < b.id ? 1 : -1) : a.at < b.at ? 1 : -1))
            .map((e) => e.id);
          expect(seen).toEqual(expected);
        },
      ),
      { numRuns: 100 },
    );
  });
});
