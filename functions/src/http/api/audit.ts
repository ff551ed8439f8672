import { z } from 'zod';
import type { SupervisionDeps } from '../../app/supervision/deps.js';
import { readAudit } from '../../app/supervision/ending.js';
import { Identifier } from '../../domain/sessions/events.js';
import { parseOrThrow } from '../errors.js';
import type { Route } from '../router.js';
import { Cursor, defined, PageSize, type Authenticate } from './callers.js';

export interface AuditApiDeps {
  authenticate: Authenticate;
  supervision: () => SupervisionDeps;
}

const AuditQuery = z.object({
  sessionId: Identifier.optional(),
  actorUid: Identifier.optional(),
  pageSize: PageSize,
  cursor: Cursor,
});

/** The audit trail: who monitored, barged on or ended what, and admins' changes. */
export function auditRoutes(deps: AuditApiDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/audit',
      handle: async (ctx) => {
        const actor = await deps.authenticate(ctx);
        const q = parseOrThrow(AuditQuery, ctx.req.query, 'The query');
        const filter = defined({ sessionId: q.sessionId, actorUid: q.actorUid });
        return {
          status: 200,
          body: await readAudit(
            deps.supervision(),
            actor,
            filter,
            defined({ size: q.pageSize, cursor: q.cursor }),
          ),
        };
      },
    },
  ];
}
