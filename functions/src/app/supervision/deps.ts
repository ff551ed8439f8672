import type { Actor } from '../../domain/access/permissions.js';
import { authorize, type Action, type Decision } from '../../domain/access/authorize.js';
import { AppError, notFound } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { PeopleDirectory } from '../../ports/people.js';
import type { PlatformCommands } from '../../ports/platform-commands.js';
import type {
  AgentQueries,
  AuditAction,
  AuditLog,
  EndConfirmations,
  ListedSession,
  MonitorStore,
  SessionQueries,
  SupervisionSettings,
} from '../../ports/supervision.js';
import type { IngestDeps } from '../ingest-session-event.js';

export interface SupervisionDeps {
  sessions: SessionQueries;
  agents: AgentQueries;
  monitors: MonitorStore;
  audit: AuditLog;
  confirmations: EndConfirmations;
  settings: SupervisionSettings;
  people: PeopleDirectory;
  commands: PlatformCommands;
  ingest: IngestDeps;
  clock: Clock;
  /** A new random UUID (end confirmations). */
  newId: () => string;
}

/** Allowed, or a 403 whose reason code (and missing permission, if any) says why. */
export function require(actor: Actor, action: Action): Extract<Decision, { allowed: true }> {
  const decision = authorize(actor, action);
  if (!decision.allowed) {
    throw new AppError('forbidden', 403, 'You are not allowed to do this.', {
      reason: decision.reason,
      ...(decision.permission ? { permission: decision.permission } : {}),
    });
  }
  return decision;
}

/** A session that exists (404 otherwise) and on which the actor may take `action` (403 otherwise). */
export async function visibleSession(
  deps: Pick<SupervisionDeps, 'sessions'>,
  actor: Actor,
  sessionId: string,
  action: (session: ListedSession) => Action,
): Promise<ListedSession> {
  const session = await deps.sessions.get(sessionId);
  if (!session || session.status === 'pending') throw notFound('The session');
  require(actor, action(session));
  return session;
}

export const auditId = (...parts: string[]) => parts.join('__').replace(/\//g, '_');

/**
 * Records who did what to which session, once: the entry's id is made of the session, the actor, the
 * action and `occurrence` (what makes this one distinct), so a retried request writes it again in place.
 */
export function recordAudit(
  deps: Pick<SupervisionDeps, 'audit'>,
  entry: {
    actor: Actor;
    action: AuditAction;
    session: ListedSession | undefined;
    sessionId: string;
    occurrence: string;
    at: string;
  },
) {
  return deps.audit.record({
    id: auditId(entry.sessionId, entry.actor.uid, entry.action, entry.occurrence),
    at: entry.at,
    action: entry.action,
    actorUid: entry.actor.uid,
    sessionId: entry.sessionId,
    kind: entry.session?.kind ?? 'call',
    agentId: entry.session?.agent?.id ?? null,
    teamIds: entry.session?.teamIds ?? [],
  });
}
