import type { Route } from '../router.js';
import type { Authenticate } from './callers.js';

/** Who the caller is and what they may do, for the console to show only what they can use. */
export function meRoutes(deps: { authenticate: Authenticate }): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/me',
      handle: async (ctx) => {
        const actor = await deps.authenticate(ctx);
        return {
          status: 200,
          body: {
            uid: actor.uid,
            name: actor.name,
            teamIds: actor.teamIds,
            multiFactor: actor.multiFactor,
            permissions: Object.fromEntries(
              [...actor.grants].map(([p, g]) => [p, g === 'all' ? 'all_teams' : [...g].sort()]),
            ),
          },
        };
      },
    },
  ];
}
