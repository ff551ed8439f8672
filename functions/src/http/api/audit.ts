import { z } from 'zod';
import type { SupervisionDeps } from '../../app/supervision/deps.js';
import { readAudit } from '../../app/supervision/ending.js';
import { Identifier } from '../../domain/sessions/events.js';
import { onFirstUse, route, type Route } from '../router.js';
import { Instant, NextCursor } from './answers.js';
import { Cursor, defined, PageSize, type Authenticate } from './callers.js';

export interface AuditApiDeps {
  authenticate: Authenticate;
  supervision: () => SupervisionDeps;
}

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
const AuditQuery = z.lazy(() =>
  z.object({
    sessionId: Identifier.optional(),
    actorUid: Identifier.optional(),
    pageSize: PageSize,
    cursor: Cursor,
  }),
);

const AuditEntry = onFirstUse(() =>
  z.object({
    id: z.string(),
    at: Instant(),
    action: z.enum([
      'monitor.started',
      'monitor.stopped',
      'barge.started',
      'session.end_requested',
      'session.ended',
      'recording.downloaded',
      'person.saved',
      'person.deleted',
      'role.saved',
      'role.deleted',
      'queue.teams_changed',
      'stuck_thresholds.changed',
      'message.revealed',
      'privacy_settings.changed',
      'sip_redirection.changed',
      'sip_redirection.removed',
      'virtual_agent.changed',
      'notification_settings.changed',
      'queue_whisper.changed',
      'queue_whisper.removed',
      'notification_tone.uploaded',
      'notification_tone.replaced',
      'notification_tone.deleted',
      'consumer.merged',
      'consumer.unmerged',
    ]),
    actorUid: z.string(),
    sessionId: z.string().nullable(),
    kind: z.enum(['call', 'chat']).nullable(),
    agentId: z.string().nullable(),
    teamIds: z.array(z.string()),
    recordingPlanId: z.string().optional(),
    subject: z
      .object({
        type: z.enum(['person', 'role', 'queue', 'settings', 'consumer_merge', 'notification_tone']),
        id: z.string(),
      })
      .optional(),
    messageId: z.string().optional().describe('For message.revealed: the message whose text was read.'),
  }),
);

const AuditPage = onFirstUse(() => z.object({ items: z.array(AuditEntry()), nextCursor: NextCursor() }));

/** The audit trail: who monitored, barged on or ended what, and admins' changes. */
export function auditRoutes(deps: AuditApiDeps): Route[] {
  return [
    route(
      'GET',
      '/v1/audit',
      {
        operationId: 'readAudit',
        summary: 'The audit trail, newest first; never the entries about the reader as the agent.',
        security: ['idToken'],
        query: AuditQuery,
        answers: { 200: AuditPage },
        errors: [403],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        const q = req.query();
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
    ),
  ];
}
