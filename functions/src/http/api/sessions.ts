import { z } from 'zod';
import type { SupervisionDeps } from '../../app/supervision/deps.js';
import { confirmEnd, requestEnd } from '../../app/supervision/ending.js';
import { listSessions } from '../../app/supervision/lists.js';
import {
  barge,
  getSessionDetails,
  readChatThread,
  startMonitoring,
  stopMonitoring,
} from '../../app/supervision/monitoring.js';
import { Channel, Identifier, Kind } from '../../domain/sessions/events.js';
import { parseOrThrow } from '../errors.js';
import type { Route, RouteContext } from '../router.js';
import { Cursor, defined, PageSize, type Authenticate } from './callers.js';

export interface SessionsApiDeps {
  authenticate: Authenticate;
  supervision: () => SupervisionDeps;
}

const SessionListQuery = z.object({
  kind: Kind,
  state: z.enum(['queued', 'connected']),
  channel: Channel.optional(),
  queueId: Identifier.optional(),
  agentId: Identifier.optional(),
  teamId: Identifier.optional(),
  q: z.string().min(1).max(100).optional(),
  pageSize: PageSize,
  cursor: Cursor,
});

const ThreadQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(200) });
const EndBody = z.object({ confirmationId: z.uuid() });
export const SessionParams = z.object({ sessionId: Identifier });

export const sessionIdOf = (ctx: RouteContext) =>
  parseOrThrow(SessionParams, ctx.params, 'The path').sessionId;

/** Live sessions for supervisors: the lists, one session's details and chat, monitoring, barge and end. */
export function sessionRoutes(deps: SessionsApiDeps): Route[] {
  const sessionId = sessionIdOf;
  return [
    {
      method: 'GET',
      path: '/v1/sessions',
      handle: async (ctx) => {
        const actor = await deps.authenticate(ctx);
        const q = parseOrThrow(SessionListQuery, ctx.req.query, 'The query');
        const filters = defined({
          kind: q.kind,
          state: q.state,
          channel: q.channel,
          queueId: q.queueId,
          agentId: q.agentId,
          teamId: q.teamId,
          search: q.q,
        });
        const page = defined({ size: q.pageSize, cursor: q.cursor });
        return { status: 200, body: await listSessions(deps.supervision(), actor, filters, page) };
      },
    },
    {
      method: 'GET',
      path: '/v1/sessions/:sessionId',
      handle: async (ctx) => {
        const actor = await deps.authenticate(ctx);
        return { status: 200, body: await getSessionDetails(deps.supervision(), actor, sessionId(ctx)) };
      },
    },
    {
      method: 'GET',
      path: '/v1/sessions/:sessionId/messages',
      handle: async (ctx) => {
        const actor = await deps.authenticate(ctx);
        const { limit } = parseOrThrow(ThreadQuery, ctx.req.query, 'The query');
        return { status: 200, body: await readChatThread(deps.supervision(), actor, sessionId(ctx), limit) };
      },
    },
    {
      method: 'PUT',
      path: '/v1/sessions/:sessionId/monitors/me',
      handle: async (ctx) => {
        const actor = await deps.authenticate(ctx);
        return { status: 200, body: await startMonitoring(deps.supervision(), actor, sessionId(ctx)) };
      },
    },
    {
      method: 'DELETE',
      path: '/v1/sessions/:sessionId/monitors/me',
      handle: async (ctx) => {
        const actor = await deps.authenticate(ctx);
        await stopMonitoring(deps.supervision(), actor, sessionId(ctx));
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      path: '/v1/sessions/:sessionId/barge',
      handle: async (ctx) => {
        const actor = await deps.authenticate(ctx);
        return { status: 200, body: await barge(deps.supervision(), actor, sessionId(ctx)) };
      },
    },
    {
      method: 'POST',
      path: '/v1/sessions/:sessionId/end-requests',
      handle: async (ctx) => {
        const actor = await deps.authenticate(ctx);
        return { status: 201, body: await requestEnd(deps.supervision(), actor, sessionId(ctx)) };
      },
    },
    {
      method: 'POST',
      path: '/v1/sessions/:sessionId/end',
      handle: async (ctx) => {
        const actor = await deps.authenticate(ctx);
        const { confirmationId } = parseOrThrow(EndBody, ctx.json(), 'The body');
        return {
          status: 200,
          body: await confirmEnd(deps.supervision(), actor, sessionId(ctx), confirmationId),
        };
      },
    },
  ];
}
