import { z } from 'zod';
import type { SupervisionDeps } from '../../app/supervision/deps.js';
import { listAgents } from '../../app/supervision/lists.js';
import { Identifier } from '../../domain/sessions/events.js';
import { onFirstUse, route, type Route } from '../router.js';
import { NextCursor, SessionSummary } from './answers.js';
import { Cursor, defined, PageSize, type Authenticate } from './callers.js';

export interface AgentsApiDeps {
  authenticate: Authenticate;
  supervision: () => SupervisionDeps;
}

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
const AgentListQuery = z.lazy(() =>
  z.object({
    teamId: Identifier.optional(),
    q: z.string().min(1).max(100).optional(),
    pageSize: PageSize,
    cursor: Cursor,
  }),
);

const AgentPage = onFirstUse(() =>
  z.object({
    items: z.array(
      z.object({
        uid: z.string(),
        name: z.string(),
        teamIds: z.array(z.string()),
        currentSessions: z.array(SessionSummary()),
        otherSessionCount: z.number().int().describe('Sessions in teams the caller may not see.'),
      }),
    ),
    nextCursor: NextCursor(),
  }),
);

/** The Agents list, with each agent's current sessions. */
export function agentRoutes(deps: AgentsApiDeps): Route[] {
  return [
    route(
      'GET',
      '/v1/agents',
      {
        operationId: 'listAgents',
        summary: 'Agents the caller may see, with their current sessions.',
        security: ['idToken'],
        query: AgentListQuery,
        answers: { 200: AgentPage },
        errors: [403],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        const q = req.query();
        const page = defined({ size: q.pageSize, cursor: q.cursor });
        return {
          status: 200,
          body: await listAgents(deps.supervision(), actor, defined({ teamId: q.teamId, search: q.q }), page),
        };
      },
    ),
  ];
}
