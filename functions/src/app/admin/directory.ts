import {
  BUILT_IN_ROLES,
  isBuiltInRole,
  MAX_CUSTOM_ROLES,
  type Actor,
  type PersonInput,
  type RoleDefinition,
  type RoleInput,
} from '../../domain/access/permissions.js';
import { planPeopleList, type PeopleListFilters } from '../../domain/access/people-list.js';
import { conflict, forbidden, invalidRequest, notFound } from '../../domain/errors.js';
import { encodeListCursor } from '../../domain/supervision/cursors.js';
import { sessionListing, type StuckThresholds } from '../../domain/supervision/session-listing.js';
import type { Clock } from '../../ports/clock.js';
import type { DeflectionSettingsStore } from '../../ports/deflection-settings.js';
import type {
  DirectoryCaches,
  PeopleAdmin,
  PersonRecord,
  QueueSessions,
  RolesAdmin,
  StuckThresholdSettings,
} from '../../ports/directory-admin.js';
import type { PeopleDirectory } from '../../ports/people.js';
import type { PrivacySettingsStore } from '../../ports/privacy-settings.js';
import type { AuditAction, AuditLog, AuditSubject } from '../../ports/supervision.js';
import { saveSettings } from '../deflection/settings.js';
import type { IngestDeps } from '../ingest-session-event.js';
import { auditId, authorizeOrThrow } from '../supervision/deps.js';
import { cursorOf } from '../supervision/lists.js';

/** What admins configure through the api: people, custom roles, queue teams, stuck thresholds. */
export interface AdminDeps {
  people: PeopleAdmin;
  roles: RolesAdmin;
  directory: PeopleDirectory & DirectoryCaches;
  stuck: StuckThresholdSettings;
  queueSessions: QueueSessions;
  deflection: DeflectionSettingsStore;
  privacy: PrivacySettingsStore;
  /** Live sessions take a queue's new teams through the same repository and queue directory as events. */
  ingest: Pick<IngestDeps, 'sessions' | 'queues'>;
  audit: AuditLog;
  clock: Clock;
  newId: () => string;
}

const ADMIN_ROLE = 'admin';
/** Sessions brought up to date per query page, and at once. */
const SESSION_PAGE = 100;
const SESSIONS_AT_ONCE = 10;

export function audit(
  deps: Pick<AdminDeps, 'audit' | 'clock' | 'newId'>,
  actor: Actor,
  action: AuditAction,
  subject: AuditSubject,
) {
  const at = deps.clock.now().toISOString();
  return deps.audit.record({
    id: auditId(subject.type, subject.id, actor.uid, action, `${at}-${deps.newId()}`),
    at,
    action,
    actorUid: actor.uid,
    sessionId: null,
    kind: null,
    agentId: null,
    teamIds: [],
    subject,
  });
}

const personAnswer = (p: PersonRecord) => ({
  uid: p.uid,
  name: p.name,
  roleIds: p.roleIds,
  teamIds: p.teamIds,
  phone: p.phone,
});

export async function listPeople(
  deps: AdminDeps,
  actor: Actor,
  filters: PeopleListFilters,
  page: { size: number; cursor?: string },
) {
  authorizeOrThrow(actor, { type: 'people.edit' });
  const after = cursorOf('people', { ...filters }, page.cursor);
  const planned = planPeopleList(filters, { size: page.size, ...(after ? { after } : {}) });
  if (!('plan' in planned)) return { items: [], nextCursor: null };
  const found = await deps.people.list(planned.plan);
  const items = found.slice(0, page.size);
  const last = items[items.length - 1];
  return {
    items: items.map(personAnswer),
    nextCursor:
      found.length > page.size && last
        ? encodeListCursor('people', { ...filters }, { sortKey: last.nameSort, id: last.uid })
        : null,
  };
}

export async function readPerson(deps: AdminDeps, actor: Actor, uid: string) {
  authorizeOrThrow(actor, { type: 'people.edit' });
  const person = await deps.people.get(uid);
  if (!person) throw notFound('The person');
  return personAnswer(person);
}

/** The lockout rule: the admin role cannot leave its last holder, by a change of roles or a deletion. */
function keepsAnAdmin(current: PersonRecord | undefined, next: PersonRecord | null, otherAdmin: boolean) {
  const wasAdmin = current?.roleIds.includes(ADMIN_ROLE) ?? false;
  const staysAdmin = next?.roleIds.includes(ADMIN_ROLE) ?? false;
  if (wasAdmin && !staysAdmin && !otherAdmin)
    throw conflict(
      'last_admin',
      'This is the only admin: give the admin role to someone else first, so that the support center keeps one.',
    );
}

/** Creates or replaces a person: every role must exist; what is stored is exactly what was checked. */
export async function savePerson(deps: AdminDeps, actor: Actor, uid: string, input: PersonInput) {
  authorizeOrThrow(actor, { type: 'people.edit' });
  const roles = await deps.directory.roles();
  const unknown = input.roleIds.flatMap((id, i) =>
    roles.has(id) ? [] : [{ path: `roleIds.${i}`, message: 'no such role', code: 'unknown_role' }],
  );
  if (unknown.length > 0) throw invalidRequest('Some roles do not exist.', unknown);
  const next: PersonRecord = { uid, ...input };
  const { current } = await deps.people.change(uid, next, (context) =>
    keepsAnAdmin(context.current, next, context.otherAdminExists),
  );
  await audit(deps, actor, 'person.saved', { type: 'person', id: uid });
  return { created: current === undefined, person: personAnswer(next) };
}

export async function deletePerson(deps: AdminDeps, actor: Actor, uid: string) {
  authorizeOrThrow(actor, { type: 'people.edit' });
  await deps.people.change(uid, null, (context) => {
    if (!context.current) throw notFound('The person');
    keepsAnAdmin(context.current, null, context.otherAdminExists);
  });
  await audit(deps, actor, 'person.deleted', { type: 'person', id: uid });
}

const roleAnswer = (id: string, role: RoleDefinition) => ({
  id,
  name: role.name,
  permissions: role.permissions,
  scope: role.scope,
  builtIn: isBuiltInRole(id),
});

export async function listRoles(deps: AdminDeps, actor: Actor) {
  authorizeOrThrow(actor, { type: 'people.edit' });
  const custom = await deps.roles.customRoles();
  return {
    items: [
      ...Object.entries(BUILT_IN_ROLES).map(([id, role]) => roleAnswer(id, role)),
      ...[...custom].map(([id, role]) => roleAnswer(id, role)),
    ],
  };
}

export async function readRole(deps: AdminDeps, actor: Actor, roleId: string) {
  authorizeOrThrow(actor, { type: 'people.edit' });
  const role = isBuiltInRole(roleId)
    ? BUILT_IN_ROLES[roleId as keyof typeof BUILT_IN_ROLES]
    : (await deps.roles.customRoles()).get(roleId);
  if (!role) throw notFound('The role');
  return roleAnswer(roleId, role);
}

const builtInIsReadOnly = (roleId: string) => {
  if (isBuiltInRole(roleId))
    throw forbidden('built_in_role', 'Built-in roles cannot be changed: create a custom role instead.');
};

export async function saveRole(deps: AdminDeps, actor: Actor, roleId: string, input: RoleInput) {
  authorizeOrThrow(actor, { type: 'people.edit' });
  builtInIsReadOnly(roleId);
  const next: RoleDefinition = { name: input.name, permissions: input.permissions, scope: input.scope };
  const { current } = await deps.roles.change(roleId, next, ({ current, customRoles }) => {
    if (!current && customRoles >= MAX_CUSTOM_ROLES)
      throw conflict(
        'too_many_roles',
        `A support center has at most ${MAX_CUSTOM_ROLES} custom roles: delete one before adding another.`,
      );
  });
  deps.directory.forgetRoles();
  await audit(deps, actor, 'role.saved', { type: 'role', id: roleId });
  return { created: current === undefined, role: roleAnswer(roleId, next) };
}

export async function deleteRole(deps: AdminDeps, actor: Actor, roleId: string) {
  authorizeOrThrow(actor, { type: 'people.edit' });
  builtInIsReadOnly(roleId);
  await deps.roles.change(roleId, null, ({ current, held }) => {
    if (!current) throw notFound('The role');
    if (held) throw conflict('role_in_use', 'Someone holds this role: take it from them first.');
  });
  deps.directory.forgetRoles();
  await audit(deps, actor, 'role.deleted', { type: 'role', id: roleId });
}

/**
 * Sets the teams of a queue through the queue settings (checked with the rest of the configuration),
 * then brings its live sessions' teams and search tokens up to date, a page at a time. A retry after
 * a failure half-way does the whole again: every step is idempotent.
 */
export async function setQueueTeams(deps: AdminDeps, actor: Actor, queueId: string, teamIds: string[]) {
  authorizeOrThrow(actor, { type: 'settings.edit' });
  // The store swaps the teams into the queue as stored, inside the save's transaction: a concurrent edit
  // of the same queue is never overwritten by a stale copy.
  const { version } = await saveSettings(deps.deflection, actor, {
    section: 'queueTeams',
    id: queueId,
    teamIds: [...teamIds].sort(),
  });
  deps.directory.forgetQueueTeams(queueId);
  await audit(deps, actor, 'queue.teams_changed', { type: 'queue', id: queueId });
  const sessionsUpdated = await spreadQueueTeams(deps, queueId);
  return { queueId, teamIds: [...teamIds].sort(), version, sessionsUpdated };
}

async function spreadQueueTeams(deps: AdminDeps, queueId: string): Promise<number> {
  let updated = 0;
  let after: string | undefined;
  for (;;) {
    const ids = await deps.queueSessions.liveSessionIds(queueId, {
      size: SESSION_PAGE,
      ...(after ? { after } : {}),
    });
    for (let i = 0; i < ids.length; i += SESSIONS_AT_ONCE) {
      const done = await Promise.all(ids.slice(i, i + SESSIONS_AT_ONCE).map((id) => refreshTeams(deps, id)));
      updated += done.filter(Boolean).length;
    }
    if (ids.length < SESSION_PAGE) return updated;
    after = ids[ids.length - 1];
  }
}

/** The session's listing recomputed with its queue's current teams, as an event would. */
function refreshTeams(deps: AdminDeps, sessionId: string): Promise<boolean> {
  return deps.ingest.sessions.inTransaction(sessionId, async (tx) => {
    const session = await tx.getSession(sessionId);
    if (!session?.queue) return false;
    const teamIds = await deps.ingest.queues.teamsOfQueue(session.queue.id);
    tx.putSession(session, sessionListing(session, teamIds), deps.clock.now());
    return true;
  });
}

export async function readStuckThresholds(deps: AdminDeps, actor: Actor) {
  authorizeOrThrow(actor, { type: 'settings.edit' });
  return deps.stuck.stuckThresholds();
}

export async function saveStuckThresholds(deps: AdminDeps, actor: Actor, thresholds: StuckThresholds) {
  authorizeOrThrow(actor, { type: 'settings.edit' });
  await deps.stuck.saveStuckThresholds(thresholds);
  await audit(deps, actor, 'stuck_thresholds.changed', { type: 'settings', id: 'stuckThresholds' });
  return deps.stuck.stuckThresholds();
}
