import { z } from 'zod';
import { route, type Route } from '../router.js';
import type { Authenticate } from './callers.js';

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
const Me = z.lazy(() =>
  z.object({
    uid: z.string(),
    name: z.string(),
    teamIds: z.array(z.string()),
    multiFactor: z.boolean(),
    permissions: z
      .record(z.string(), z.union([z.literal('all_teams'), z.array(z.string())]))
      .describe('Each permission held, on all teams or on the teams listed.'),
  }),
);

/** Who the caller is and what they may do, for the console to show only what they can use. */
export function meRoutes(deps: { authenticate: Authenticate }): Route[] {
  return [
    route(
      'GET',
      '/v1/me',
      {
        operationId: 'readMe',
        summary: 'The caller, their teams and their permissions.',
        security: ['idToken'],
        answers: { 200: Me },
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        return {
          status: 200,
          body: {
            uid: actor.uid,
            name: actor.name,
            teamIds: actor.teamIds,
            multiFactor: actor.multiFactor,
            permissions: Object.fromEntries(
              [...actor.grants].map(([p, g]) => [p, g === 'all' ? ('all_teams' as const) : [...g].sort()]),
            ),
          },
        };
      },
    ),
  ];
}
