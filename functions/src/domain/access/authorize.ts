import type { Kind } from '../sessions/events.js';
import type { Actor, Grant, Permission } from './permissions.js';

/**
 * The one place that decides who may do what. Every denial carries a reason code that the API returns
 * with its 403. State rules (a session must be live to be monitored…) are the use cases' business.
 */
export interface SessionTarget {
  kind: Kind;
  teamIds: readonly string[];
}

export type Action =
  | { type: 'sessions.list'; kind: Kind }
  | { type: 'agents.list' }
  | { type: 'session.view'; session: SessionTarget }
  | { type: 'session.monitor'; session: SessionTarget }
  | { type: 'session.barge'; session: SessionTarget }
  | { type: 'session.end'; session: SessionTarget }
  | { type: 'audit.read' }
  | { type: 'settings.edit' }
  /** People and custom roles (who may do what). */
  | { type: 'people.edit' }
  /** LCH-6: the original text of one masked message of a chat. */
  | { type: 'message.reveal'; session: SessionTarget }
  /** REC-4: a call recording waiting for the CRM; `session` is null when the call is not known. */
  | { type: 'recording.download'; session: SessionTarget | null };

export type Decision =
  | { allowed: true; scope: 'all' | readonly string[] }
  | { allowed: false; reason: string; permission?: Permission };

const monitorPermission = (kind: Kind): Permission => (kind === 'call' ? 'Monitor-Calls' : 'Monitor-Chats');

const scopeOf = (grant: Grant): 'all' | readonly string[] => (grant === 'all' ? 'all' : [...grant].sort());

function needs(actor: Actor, permission: Permission, session?: SessionTarget): Decision {
  const grant = actor.grants.get(permission);
  if (!grant || (grant !== 'all' && grant.size === 0))
    return { allowed: false, reason: 'missing_permission', permission };
  if (session && grant !== 'all' && !session.teamIds.some((t) => grant.has(t)))
    return { allowed: false, reason: 'outside_assigned_teams', permission };
  return { allowed: true, scope: scopeOf(grant) };
}

/** Either monitoring permission: a union of both scopes. */
function needsAnyMonitor(actor: Actor): Decision {
  const calls = needs(actor, 'Monitor-Calls');
  const chats = needs(actor, 'Monitor-Chats');
  if (!calls.allowed)
    return chats.allowed
      ? chats
      : { allowed: false, reason: 'missing_permission', permission: 'Monitor-Calls' };
  if (!chats.allowed || calls.scope === 'all') return calls;
  if (chats.scope === 'all') return chats;
  return { allowed: true, scope: [...new Set([...calls.scope, ...chats.scope])].sort() };
}

export function authorize(actor: Actor, action: Action): Decision {
  switch (action.type) {
    case 'sessions.list':
      return needs(actor, monitorPermission(action.kind));
    case 'agents.list':
      return needsAnyMonitor(actor);
    case 'session.view':
    case 'session.monitor':
      return needs(actor, monitorPermission(action.session.kind), action.session);
    case 'session.barge':
      if (action.session.kind !== 'call') return { allowed: false, reason: 'barge_is_for_calls_only' };
      return needs(actor, 'Barge', action.session);
    case 'session.end':
      return needs(actor, 'Monitor-Chats-Edit', action.session);
    case 'message.reveal':
      if (action.session.kind !== 'chat') return { allowed: false, reason: 'reveal_is_for_chats_only' };
      return needs(actor, 'Sensitive-Data-Reveal', action.session);
    case 'settings.edit': {
      // Settings are the whole support center's: a team-scoped grant does not cover them.
      const decision = needs(actor, 'Settings-Edit');
      return decision.allowed && decision.scope !== 'all'
        ? { allowed: false, reason: 'settings_need_all_teams', permission: 'Settings-Edit' }
        : decision;
    }
    case 'people.edit': {
      // Whoever edits people can grant any role: only an all-teams grant may.
      const decision = needs(actor, 'Users-Edit');
      return decision.allowed && decision.scope !== 'all'
        ? { allowed: false, reason: 'people_need_all_teams', permission: 'Users-Edit' }
        : decision;
    }
    case 'recording.download': {
      if (!actor.multiFactor) return { allowed: false, reason: 'multi_factor_required' };
      const decision = needs(actor, 'Monitor-Calls', action.session ?? undefined);
      // A recording no call accounts for belongs to no team: only an all-teams grant reaches it.
      return decision.allowed && !action.session && decision.scope !== 'all'
        ? { allowed: false, reason: 'outside_assigned_teams', permission: 'Monitor-Calls' }
        : decision;
    }
    case 'audit.read': {
      const decision = needs(actor, 'Audit-View');
      return decision.allowed && decision.scope !== 'all'
        ? { allowed: false, reason: 'audit_needs_all_teams', permission: 'Audit-View' }
        : decision;
    }
  }
}

export type SessionActionType = 'session.view' | 'session.monitor' | 'session.barge' | 'session.end';

/** What a session action needs at all, whatever the session: any one of these permissions. */
const NEEDED: Readonly<Record<SessionActionType, readonly Permission[]>> = {
  'session.view': ['Monitor-Calls', 'Monitor-Chats'],
  'session.monitor': ['Monitor-Calls', 'Monitor-Chats'],
  'session.barge': ['Barge'],
  'session.end': ['Monitor-Chats-Edit'],
};

export type SessionAccess =
  | { outcome: 'allowed' }
  /** A 403: the person lacks the permission altogether, or sees the session but may not do this. */
  | { outcome: 'forbidden'; reason: string; permission?: Permission }
  /** A 404, as for a session that does not exist. */
  | { outcome: 'hidden' };

/**
 * Sessions and recordings are answered so that a person outside a team cannot learn which ids exist:
 * a 403 says only what is true of every id (the person lacks the permission altogether), or is about
 * a session the person may see; any other refusal is the 404 of a session that is not there.
 * `session` is undefined when there is no such session.
 */
export function accessToSession(
  actor: Actor,
  type: SessionActionType,
  session: SessionTarget | undefined,
): SessionAccess {
  const needed = NEEDED[type];
  if (!needed.some((permission) => holds(actor, permission)))
    return { outcome: 'forbidden', reason: 'missing_permission', permission: needed[0]! };
  if (!session) return { outcome: 'hidden' };
  const decision = authorize(actor, { type, session });
  if (decision.allowed) return { outcome: 'allowed' };
  if (!authorize(actor, { type: 'session.view', session }).allowed) return { outcome: 'hidden' };
  return {
    outcome: 'forbidden',
    reason: decision.reason,
    ...(decision.permission ? { permission: decision.permission } : {}),
  };
}

/** Whether the person holds the permission for at least one team. */
function holds(actor: Actor, permission: Permission): boolean {
  const grant = actor.grants.get(permission);
  return grant !== undefined && (grant === 'all' || grant.size > 0);
}

/**
 * REC-4's download by a person, answered like sessions: a 403 for what is true of every recording (no
 * second factor, no monitoring permission), the 404 of a missing recording for one outside their teams.
 * `recording` is undefined when there is no such recording; its `session` is null when no call accounts
 * for it.
 */
export function accessToRecording(
  actor: Actor,
  recording: { session: SessionTarget | null } | undefined,
): SessionAccess {
  if (!actor.multiFactor) return { outcome: 'forbidden', reason: 'multi_factor_required' };
  if (!holds(actor, 'Monitor-Calls'))
    return { outcome: 'forbidden', reason: 'missing_permission', permission: 'Monitor-Calls' };
  if (!recording) return { outcome: 'hidden' };
  return authorize(actor, { type: 'recording.download', session: recording.session }).allowed
    ? { outcome: 'allowed' }
    : { outcome: 'hidden' };
}
