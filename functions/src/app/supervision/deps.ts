import type { Actor } from '../../domain/access/permissions.js';
import {
  accessToSession,
  authorize,
  type Action,
  type Decision,
  type SessionAccess,
  type SessionActionType,
  type SessionTarget,
} from '../../domain/access/authorize.js';
import { forbidden, notFound } from '../../domain/errors.js';
import { customerDataView, type CustomerDataView } from '../../domain/privacy/masking.js';
import type { Clock } from '../../ports/clock.js';
import type { PeopleDirectory } from '../../ports/people.js';
import type { PlatformCommands } from '../../ports/platform-commands.js';
import type { PrivacySettingsStore } from '../../ports/privacy-settings.js';
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
  /** Whether customer data is masked: supervisors see it as agents do (docs/privacy.md). */
  privacy: Pick<PrivacySettingsStore, 'read'>;
  people: PeopleDirectory;
  commands: PlatformCommands;
  ingest: IngestDeps;
  clock: Clock;
  /** A new random UUID (end confirmations). */
  newId: () => string;
}

/** The 403 of a refusal: its reason code, and the missing permission when that is the reason. */
const refused = (why: { reason: string; permission?: string | undefined }) =>
  forbidden(why.reason, undefined, why.permission ? { permission: why.permission } : {});

/** Allowed, or a 403 whose reason code (and missing permission, if any) says why. */
export function authorizeOrThrow(actor: Actor, action: Action): Extract<Decision, { allowed: true }> {
  const decision = authorize(actor, action);
  if (!decision.allowed) throw refused(decision);
  return decision;
}

/** The 403 or 404 of a refused session access; nothing when it is allowed. */
export function enforce(access: SessionAccess, what: string): void {
  if (access.outcome === 'hidden') throw notFound(what);
  if (access.outcome === 'forbidden') throw refused(access);
}

const targetOf = (s: ListedSession): SessionTarget => ({ kind: s.kind ?? 'call', teamIds: s.teamIds });

/**
 * A session on which the actor may take `type`. A 403 when they lack the permission altogether (asked
 * before the session is read) or may see the session but not do this; otherwise a session they may not
 * see is the 404 of one that does not exist (see accessToSession).
 */
export async function visibleSession(
  deps: Pick<SupervisionDeps, 'sessions'>,
  actor: Actor,
  sessionId: string,
  type: SessionActionType,
): Promise<ListedSession> {
  // Before the read: lacking the permission altogether is the same answer for every id.
  const upfront = accessToSession(actor, type, undefined);
  if (upfront.outcome === 'forbidden') enforce(upfront, 'The session');
  const session = await deps.sessions.get(sessionId);
  const visible = session && session.status !== 'pending' ? session : undefined;
  enforce(accessToSession(actor, type, visible && targetOf(visible)), 'The session');
  return visible!;
}

/** Customer data as the company's privacy settings show it (cached: no read per page). */
export async function customerView(deps: Pick<SupervisionDeps, 'privacy'>): Promise<CustomerDataView> {
  return customerDataView(await deps.privacy.read());
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
