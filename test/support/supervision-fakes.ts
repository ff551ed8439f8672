import type { SupervisionDeps } from '../../functions/src/app/supervision/deps.js';
import type { Person } from '../../functions/src/domain/access/permissions.js';
import { BUILT_IN_ROLES, type RoleDefinition } from '../../functions/src/domain/access/permissions.js';
import { emptySession } from '../../functions/src/domain/sessions/session.js';
import { StuckThresholds } from '../../functions/src/domain/supervision/session-listing.js';
import type { PlatformCommand } from '../../functions/src/ports/platform-commands.js';
import type {
  AuditEntry,
  EndConfirmation,
  ListedSession,
  Monitor,
  MonitorStore,
} from '../../functions/src/ports/supervision.js';

/**
 * The supervision use cases' ports, in memory, with the same contracts as the Firestore adapters
 * (which the integration and end-to-end tests cover): for tests of the decisions the use cases make.
 */
export function listedSession(
  id: string,
  fields: {
    kind: 'call' | 'chat';
    listState: 'queued' | 'connected' | 'ended';
    teamIds: string[];
    agentId?: string;
  },
): ListedSession {
  const at = '2026-11-22T09:00:00.000Z';
  return {
    ...emptySession(id),
    status: fields.listState === 'connected' ? 'connected' : fields.listState,
    kind: fields.kind,
    channel: fields.kind === 'call' ? 'ivr' : 'web',
    language: 'en',
    queue: { id: 'q-1', menuPath: ['Billing'] },
    consumer: { id: 'c-1', name: 'Ada', anonymous: false },
    agent: fields.agentId ? { id: fields.agentId, name: null } : null,
    createdAt: at,
    assignedAt: fields.listState === 'connected' ? at : null,
    connectedAt: fields.listState === 'connected' ? at : null,
    endedAt: fields.listState === 'ended' ? at : null,
    lastSequence: 3,
    listState: fields.listState,
    stateSince: at,
    teamIds: fields.teamIds,
    searchTokens: [],
  } as ListedSession;
}

export class MemoryMonitors implements MonitorStore {
  readonly stored = new Map<string, Monitor & { active: boolean }>();
  constructor(private readonly sessions: Map<string, ListedSession>) {}

  async start(sessionId: string, uid: string, mode: 'listen' | 'barge', at: Date) {
    if (this.sessions.get(sessionId)?.listState !== 'connected') return { started: false as const };
    const key = `${sessionId}__${uid}`;
    const current = this.stored.get(key);
    if (current?.active && (current.mode === mode || current.mode === 'barge'))
      return { started: true as const, monitor: strip(current), changed: false };
    const monitor: Monitor = {
      sessionId,
      uid,
      mode,
      startedAt: current?.active ? current.startedAt : at.toISOString(),
      stoppedAt: null,
      stopReason: null,
    };
    this.stored.set(key, { ...monitor, active: true });
    return { started: true as const, monitor, changed: true };
  }

  async stop(sessionId: string, uid: string, at: Date) {
    const current = this.stored.get(`${sessionId}__${uid}`);
    if (!current?.active) return false;
    Object.assign(current, { active: false, stoppedAt: at.toISOString(), stopReason: 'stopped' });
    return true;
  }

  async stopAll(sessionId: string, at: Date) {
    let n = 0;
    for (const m of this.stored.values())
      if (m.sessionId === sessionId && m.active) {
        Object.assign(m, { active: false, stoppedAt: at.toISOString(), stopReason: 'session_ended' });
        n++;
      }
    return n;
  }

  async get(sessionId: string, uid: string) {
    const m = this.stored.get(`${sessionId}__${uid}`);
    return m ? strip(m) : undefined;
  }
}

const strip = ({ active: _active, ...monitor }: Monitor & { active: boolean }): Monitor => ({ ...monitor });

export interface MemorySupervision {
  deps: SupervisionDeps;
  sessions: Map<string, ListedSession>;
  monitors: MemoryMonitors;
  published: PlatformCommand[];
  audit: Map<string, AuditEntry>;
}

export function memorySupervision(
  options: {
    sessions?: ListedSession[];
    people?: Person[];
    roles?: Map<string, RoleDefinition>;
    now?: Date;
  } = {},
): MemorySupervision {
  const sessions = new Map((options.sessions ?? []).map((s) => [s.id, s]));
  const people = new Map((options.people ?? []).map((p) => [p.uid, p]));
  const roles = options.roles ?? new Map(Object.entries(BUILT_IN_ROLES));
  const monitors = new MemoryMonitors(sessions);
  const published: PlatformCommand[] = [];
  const audit = new Map<string, AuditEntry>();
  const confirmations = new Map<string, EndConfirmation>();
  let ids = 0;
  const deps: SupervisionDeps = {
    sessions: {
      run: async () => [...sessions.values()],
      get: async (id) => sessions.get(id),
      liveSessionsOfAgents: async () => [],
      messages: async () => [],
    },
    agents: { run: async () => [] },
    monitors,
    audit: {
      record: async (entry) => void audit.set(entry.id, entry),
      list: async (_filter, page) => {
        const sorted = [...audit.values()].sort((a, b) =>
          a.at === b.at ? (a.id < b.id ? 1 : -1) : a.at < b.at ? 1 : -1,
        );
        const after = page.after;
        const from = after
          ? sorted.filter((e) => e.at < after.sortKey || (e.at === after.sortKey && e.id < after.id))
          : sorted;
        return from.slice(0, page.limit);
      },
    },
    confirmations: {
      create: async (c) => void confirmations.set(c.id, c),
      get: async (id) => confirmations.get(id),
      markUsed: async (id, at) => {
        const c = confirmations.get(id);
        if (!c || c.usedAt !== null) return false;
        c.usedAt = at.toISOString();
        return true;
      },
    },
    settings: { stuckThresholds: async () => StuckThresholds.parse({}) },
    privacy: { read: async () => ({ maskSensitiveData: false }) },
    people: { getPerson: async (uid) => people.get(uid), roles: async () => roles },
    commands: { publish: async (c) => void published.push(c) },
    // Confirming an end runs the event pipeline on Firestore: the integration and end-to-end tests do that.
    ingest: {
      sessions: undefined as never,
      queues: { teamsOfQueue: async () => [] },
      monitors,
      clock: { now: () => options.now ?? new Date('2026-11-22T09:30:00.000Z') },
    },
    clock: { now: () => options.now ?? new Date('2026-11-22T09:30:00.000Z') },
    newId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
  };
  return { deps, sessions, monitors, published, audit };
}
