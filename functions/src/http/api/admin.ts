import { z } from 'zod';
import {
  deletePerson,
  deleteRole,
  listPeople,
  listRoles,
  readPerson,
  readRole,
  readStuckThresholds,
  saveRole,
  savePerson,
  saveStuckThresholds,
  setQueueTeams,
  type AdminDeps,
} from '../../app/admin/directory.js';
import {
  DirectoryId,
  E164,
  MAX_TEAMS_PER_PERSON,
  Permission,
  PersonInput,
  RoleInput,
  RoleScope,
} from '../../domain/access/permissions.js';
import { StuckThresholdsInput } from '../../domain/supervision/session-listing.js';
import { onFirstUse, route, type Route } from '../router.js';
import { Cursor, PageSize, type Authenticate } from './callers.js';
import { authorizeOrThrow } from '../../app/supervision/deps.js';

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
/** Request and answer schemas of the admin routes: what the OpenAPI description is made of. */
export const PeopleListQuery = z.lazy(() =>
  z.object({
    q: z.string().min(1).max(100).optional(),
    teamId: DirectoryId.optional(),
    pageSize: PageSize,
    cursor: Cursor,
  }),
);

export const PersonAnswer = onFirstUse(() =>
  z.object({
    uid: DirectoryId,
    name: z.string(),
    roleIds: z.array(DirectoryId),
    teamIds: z.array(DirectoryId),
    phone: E164.nullable(),
  }),
);
export const PeoplePage = onFirstUse(() =>
  z.object({ items: z.array(PersonAnswer()), nextCursor: z.string().nullable() }),
);

export const RoleAnswer = onFirstUse(() =>
  z.object({
    id: DirectoryId,
    name: z.string(),
    permissions: z.array(Permission),
    scope: RoleScope,
    builtIn: z.boolean(),
  }),
);
export const RoleList = onFirstUse(() => z.object({ items: z.array(RoleAnswer()) }));

/** At most as many teams on a queue as a person may have: either is one Firestore `in` away. */
export const QueueTeamsInput = z.lazy(() =>
  z.strictObject({
    teamIds: z
      .array(DirectoryId)
      .max(MAX_TEAMS_PER_PERSON)
      .refine((ids) => new Set(ids).size === ids.length, 'must not list a team twice'),
  }),
);
export const QueueTeamsAnswer = onFirstUse(() =>
  z.object({
    queueId: DirectoryId,
    teamIds: z.array(DirectoryId),
    version: z.number().int(),
    sessionsUpdated: z.number().int(),
  }),
);

export const StuckThresholdsAnswer = StuckThresholdsInput;

export interface AdminApiDeps {
  authenticate: Authenticate;
  admin: () => AdminDeps;
}

const UidParams = z.lazy(() => z.object({ uid: DirectoryId }));
const RoleParams = z.lazy(() => z.object({ roleId: DirectoryId }));
const QueueParams = z.lazy(() => z.object({ queueId: DirectoryId }));

/**
 * People, custom roles, queue teams and stuck thresholds (END-3). The permission is checked before
 * the body is read: a refused caller costs no parsing.
 */
export function adminRoutes(deps: AdminApiDeps): Route[] {
  return [
    route(
      'GET',
      '/v1/people',
      {
        operationId: 'listPeople',
        summary: 'People, by name, optionally of one team.',
        security: ['idToken'],
        query: PeopleListQuery,
        answers: { 200: PeoplePage },
        errors: [403],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        authorizeOrThrow(actor, { type: 'people.edit' });
        const q = req.query();
        const page = await listPeople(
          deps.admin(),
          actor,
          { ...(q.teamId ? { teamId: q.teamId } : {}), ...(q.q ? { search: q.q } : {}) },
          { size: q.pageSize, ...(q.cursor ? { cursor: q.cursor } : {}) },
        );
        return { status: 200, body: PeoplePage().parse(page) };
      },
    ),
    route(
      'GET',
      '/v1/people/:uid',
      {
        operationId: 'readPerson',
        summary: 'One person: their roles, teams and phone.',
        security: ['idToken'],
        params: UidParams,
        answers: { 200: PersonAnswer },
        errors: [403, 404],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        return {
          status: 200,
          body: PersonAnswer().parse(await readPerson(deps.admin(), actor, req.path().uid)),
        };
      },
    ),
    route(
      'PUT',
      '/v1/people/:uid',
      {
        operationId: 'savePerson',
        summary: 'Create or replace a person (201 when created).',
        security: ['idToken'],
        params: UidParams,
        body: PersonInput,
        bodyName: 'The person',
        answers: { 200: PersonAnswer, 201: PersonAnswer },
        errors: [403, 409],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        authorizeOrThrow(actor, { type: 'people.edit' });
        const id = req.path().uid;
        const input = req.body();
        const { created, person } = await savePerson(deps.admin(), actor, id, input);
        return { status: created ? 201 : 200, body: PersonAnswer().parse(person) };
      },
    ),
    route(
      'DELETE',
      '/v1/people/:uid',
      {
        operationId: 'deletePerson',
        summary: 'Delete a person.',
        security: ['idToken'],
        params: UidParams,
        answers: { 204: null },
        errors: [403, 404, 409],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        await deletePerson(deps.admin(), actor, req.path().uid);
        return { status: 204 };
      },
    ),
    route(
      'GET',
      '/v1/roles',
      {
        operationId: 'listRoles',
        summary: 'Built-in and custom roles.',
        security: ['idToken'],
        answers: { 200: RoleList },
        errors: [403],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        return { status: 200, body: RoleList().parse(await listRoles(deps.admin(), actor)) };
      },
    ),
    route(
      'GET',
      '/v1/roles/:roleId',
      {
        operationId: 'readRole',
        summary: 'One role and its permissions.',
        security: ['idToken'],
        params: RoleParams,
        answers: { 200: RoleAnswer },
        errors: [403, 404],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        return {
          status: 200,
          body: RoleAnswer().parse(await readRole(deps.admin(), actor, req.path().roleId)),
        };
      },
    ),
    route(
      'PUT',
      '/v1/roles/:roleId',
      {
        operationId: 'saveRole',
        summary: 'Create or replace a custom role (201 when created).',
        security: ['idToken'],
        params: RoleParams,
        body: RoleInput,
        bodyName: 'The role',
        answers: { 200: RoleAnswer, 201: RoleAnswer },
        errors: [403, 409],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        authorizeOrThrow(actor, { type: 'people.edit' });
        const id = req.path().roleId;
        const input = req.body();
        const { created, role } = await saveRole(deps.admin(), actor, id, input);
        return { status: created ? 201 : 200, body: RoleAnswer().parse(role) };
      },
    ),
    route(
      'DELETE',
      '/v1/roles/:roleId',
      {
        operationId: 'deleteRole',
        summary: 'Delete a custom role no one holds.',
        security: ['idToken'],
        params: RoleParams,
        answers: { 204: null },
        errors: [403, 404, 409],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        await deleteRole(deps.admin(), actor, req.path().roleId);
        return { status: 204 };
      },
    ),
    route(
      'PUT',
      '/v1/queues/:queueId/teams',
      {
        operationId: 'setQueueTeams',
        summary: "The teams a queue's sessions belong to, applied to its live sessions too.",
        security: ['idToken'],
        params: QueueParams,
        body: QueueTeamsInput,
        bodyName: 'The queue teams',
        answers: { 200: QueueTeamsAnswer },
        errors: [403, 404, 409],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        authorizeOrThrow(actor, { type: 'settings.edit' });
        const { queueId } = req.path();
        const { teamIds } = req.body();
        const answer = await setQueueTeams(deps.admin(), actor, queueId, teamIds);
        return { status: 200, body: QueueTeamsAnswer().parse(answer) };
      },
    ),
    route(
      'GET',
      '/v1/settings/stuck-thresholds',
      {
        operationId: 'readStuckThresholds',
        summary: 'After how long a queued or connected session is shown as stuck.',
        security: ['idToken'],
        answers: { 200: StuckThresholdsAnswer },
        errors: [403],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        return {
          status: 200,
          body: StuckThresholdsAnswer.parse(await readStuckThresholds(deps.admin(), actor)),
        };
      },
    ),
    route(
      'PUT',
      '/v1/settings/stuck-thresholds',
      {
        operationId: 'saveStuckThresholds',
        summary: 'Change after how long a session is shown as stuck.',
        security: ['idToken'],
        body: StuckThresholdsInput,
        bodyName: 'The stuck thresholds',
        answers: { 200: StuckThresholdsAnswer },
        errors: [403, 409],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        authorizeOrThrow(actor, { type: 'settings.edit' });
        const thresholds = req.body();
        return {
          status: 200,
          body: StuckThresholdsAnswer.parse(await saveStuckThresholds(deps.admin(), actor, thresholds)),
        };
      },
    ),
  ];
}
