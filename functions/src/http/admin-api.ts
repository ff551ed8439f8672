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
} from '../app/admin/directory.js';
import type { Actor } from '../domain/access/permissions.js';
import {
  DirectoryId,
  E164,
  MAX_TEAMS_PER_PERSON,
  Permission,
  PersonInput,
  RoleInput,
  RoleScope,
} from '../domain/access/permissions.js';
import { StuckThresholdsInput } from '../domain/supervision/session-listing.js';
import { parseOrThrow } from './errors.js';
import type { Route, RouteContext } from './router.js';
import { authorizeOrThrow } from '../app/supervision/deps.js';

/** Request and answer schemas of the admin routes: what the OpenAPI description is made of. */
export const PeopleListQuery = z.object({
  q: z.string().min(1).max(100).optional(),
  teamId: DirectoryId.optional(),
  pageSize: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().min(1).max(500).optional(),
});

export const PersonAnswer = z.object({
  uid: DirectoryId,
  name: z.string(),
  roleIds: z.array(DirectoryId),
  teamIds: z.array(DirectoryId),
  phone: E164.nullable(),
});
export const PeoplePage = z.object({ items: z.array(PersonAnswer), nextCursor: z.string().nullable() });

export const RoleAnswer = z.object({
  id: DirectoryId,
  name: z.string(),
  permissions: z.array(Permission),
  scope: RoleScope,
  builtIn: z.boolean(),
});
export const RoleList = z.object({ items: z.array(RoleAnswer) });

/** At most as many teams on a queue as a person may have: either is one Firestore `in` away. */
export const QueueTeamsInput = z.strictObject({
  teamIds: z
    .array(DirectoryId)
    .max(MAX_TEAMS_PER_PERSON)
    .refine((ids) => new Set(ids).size === ids.length, 'must not list a team twice'),
});
export const QueueTeamsAnswer = z.object({
  queueId: DirectoryId,
  teamIds: z.array(DirectoryId),
  version: z.number().int(),
  sessionsUpdated: z.number().int(),
});

export const StuckThresholdsAnswer = StuckThresholdsInput;

export interface AdminApiDeps {
  authenticate: (ctx: RouteContext) => Promise<Actor>;
  admin: () => AdminDeps;
}

const UidParams = z.object({ uid: DirectoryId });
const RoleParams = z.object({ roleId: DirectoryId });
const QueueParams = z.object({ queueId: DirectoryId });

/**
 * People, custom roles, queue teams and stuck thresholds (END-3). The permission is checked before
 * the body is read: a refused caller costs no parsing.
 */
export function adminRoutes(deps: AdminApiDeps): Route[] {
  const uid = (ctx: RouteContext) => parseOrThrow(UidParams, ctx.params, 'The path').uid;
  const roleId = (ctx: RouteContext) => parseOrThrow(RoleParams, ctx.params, 'The path').roleId;
  return [
    {
      method: 'GET',
      path: '/v1/people',
      handle: async (ctx) => {
        const actor = await deps.authenticate(ctx);
        authorizeOrThrow(actor, { type: 'people.edit' });
        const q = parseOrThrow(PeopleListQuery, ctx.req.query, 'The query');
        const page = await listPeople(
          deps.admin(),
          actor,
          { ...(q.teamId ? { teamId: q.teamId } : {}), ...(q.q ? { search: q.q } : {}) },
          { size: q.pageSize, ...(q.cursor ? { cursor: q.cursor } : {}) },
        );
        return { status: 200, body: PeoplePage.parse(page) };
      },
    },
    {
      method: 'GET',
      path: '/v1/people/:uid',
      handle: async (ctx) => {
        const actor = await deps.authenticate(ctx);
        return { status: 200, body: PersonAnswer.parse(await readPerson(deps.admin(), actor, uid(ctx))) };
      },
    },
    {
      method: 'PUT',
      path: '/v1/people/:uid',
      handle: async (ctx) => {
        const actor = await deps.authenticate(ctx);
        authorizeOrThrow(actor, { type: 'people.edit' });
        const id = uid(ctx);
        const input = parseOrThrow(PersonInput, ctx.json(), 'The person');
        const { created, person } = await savePerson(deps.admin(), actor, id, input);
        return { status: created ? 201 : 200, body: PersonAnswer.parse(person) };
      },
    },
    {
      method: 'DELETE',
      path: '/v1/people/:uid',
      handle: async (ctx) => {
        const actor = await deps.authenticate(ctx);
        await deletePerson(deps.admin(), actor, uid(ctx));
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      path: '/v1/roles',
      handle: async (ctx) => {
        const actor = await deps.authenticate(ctx);
        return { status: 200, body: RoleList.parse(await listRoles(deps.admin(), actor)) };
      },
    },
    {
      method: 'GET',
      path: '/v1/roles/:roleId',
      handle: async (ctx) => {
        const actor = await deps.authenticate(ctx);
        return { status: 200, body: RoleAnswer.parse(await readRole(deps.admin(), actor, roleId(ctx))) };
      },
    },
    {
      method: 'PUT',
      path: '/v1/roles/:roleId',
      handle: async (ctx) => {
        const actor = await deps.authenticate(ctx);
        authorizeOrThrow(actor, { type: 'people.edit' });
        const id = roleId(ctx);
        const input = parseOrThrow(RoleInput, ctx.json(), 'The role');
        const { created, role } = await saveRole(deps.admin(), actor, id, input);
        return { status: created ? 201 : 200, body: RoleAnswer.parse(role) };
      },
    },
    {
      method: 'DELETE',
      path: '/v1/roles/:roleId',
      handle: async (ctx) => {
        const actor = await deps.authenticate(ctx);
        await deleteRole(deps.admin(), actor, roleId(ctx));
        return { status: 204 };
      },
    },
    {
      method: 'PUT',
      path: '/v1/queues/:queueId/teams',
      handle: async (ctx) => {
        const actor = await deps.authenticate(ctx);
        authorizeOrThrow(actor, { type: 'settings.edit' });
        const { queueId } = parseOrThrow(QueueParams, ctx.params, 'The path');
        const { teamIds } = parseOrThrow(QueueTeamsInput, ctx.json(), 'The queue teams');
        const answer = await setQueueTeams(deps.admin(), actor, queueId, teamIds);
        return { status: 200, body: QueueTeamsAnswer.parse(answer) };
      },
    },
    {
      method: 'GET',
      path: '/v1/settings/stuck-thresholds',
      handle: async (ctx) => {
        const actor = await deps.authenticate(ctx);
        return {
          status: 200,
          body: StuckThresholdsAnswer.parse(await readStuckThresholds(deps.admin(), actor)),
        };
      },
    },
    {
      method: 'PUT',
      path: '/v1/settings/stuck-thresholds',
      handle: async (ctx) => {
        const actor = await deps.authenticate(ctx);
        authorizeOrThrow(actor, { type: 'settings.edit' });
        const thresholds = parseOrThrow(StuckThresholdsInput, ctx.json(), 'The stuck thresholds');
        return {
          status: 200,
          body: StuckThresholdsAnswer.parse(await saveStuckThresholds(deps.admin(), actor, thresholds)),
        };
      },
    },
  ];
}
