import { z } from 'zod';
import type { SupervisionDeps } from '../../app/supervision/deps.js';
import { listAgents } from '../../app/supervision/lists.js';
import { Identifier } from '../../domain/sessions/events.js';
import { parseOrThrow } from '../errors.js';
import type { Route } from '../router.js';
import { Cursor, defined, PageSize, type Authenticate } from './callers.js';

export interface AgentsApiDeps {
  authenticate: Authenticate;
  supervision: () => SupervisionDeps;
}

const AgentListQuery = z.object({
  teamId: Identifier.optional(),
  q: z.string().min(1).max(100).optional(),
  pageSize: PageSize,
  cursor: Cursor,
});

/** The Agents list, with each agent's current sessions. */
export function agentRoutes(deps: AgentsApiDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/agents',
      handle: async (ctx) => {
        const actor = await deps.authenticate(ctx);
        const q = parseOrThrow(AgentListQuery, ctx.req.query, 'The query');
        const page = defined({ size: q.pageSize, cursor: q.cursor });
        return {
          status: 200,
          body: await listAgents(deps.supervision(), actor, defined({ teamId: q.teamId, search: q.q }), page),
        };
      },
    },
  ];
}
