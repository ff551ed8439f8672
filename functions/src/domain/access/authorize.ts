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
