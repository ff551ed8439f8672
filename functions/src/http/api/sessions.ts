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
import { onFirstUse, route, type Route } from '../router.js';
import { ChatThread, Instant, Monitor, NextCursor, SessionDetails, SessionSummary } from './answers.js';
import { Cursor, defined, PageSize, type Authenticate } from './callers.js';

export interface SessionsApiDeps {
  authenticate: Authenticate;
  supervision: () => SupervisionDeps;
}

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
const SessionListQuery = z.lazy(() =>
  z.object({
    kind: Kind,
    state: z.enum(['queued', 'connected']),
    channel: Channel.optional(),
    queueId: Identifier.optional(),
    agentId: Identifier.optional(),
    teamId: Identifier.optional(),
    q: z.string().min(1).max(100).optional(),
    pageSize: PageSize,
    cursor: Cursor,
  }),
);

const ThreadQuery = z.lazy(() => z.object({ limit: z.coerce.number().int().min(1).max(500).default(200) }));
const EndBody = z.lazy(() => z.object({ confirmationId: z.uuid() }));
export const SessionParams = z.lazy(() => z.object({ sessionId: Identifier }));

const SessionPage = onFirstUse(() =>
  z.object({ items: z.array(SessionSummary()), nextCursor: NextCursor() }),
);
const EndRequest = onFirstUse(() =>
  z.object({ confirmationId: z.string(), expiresAt: Instant(), session: SessionSummary() }),
);
const EndAnswer = onFirstUse(() => z.object({ ended: z.boolean(), session: SessionSummary().nullable() }));

/** A session's routes: a person's ID token, the session in the path, and what a refusal may be. */
const onSession = {
  security: ['idToken'],
  params: SessionParams,
  errors: [403, 404],
} as const;

/** Live sessions for supervisors: the lists, one session's details and chat, monitoring, barge and end. */
export function sessionRoutes(deps: SessionsApiDeps): Route[] {
  return [
    route(
      'GET',
      '/v1/sessions',
      {
        operationId: 'listSessions',
        summary: 'Calls or chats, queued or connected, that the caller may see (MON-6).',
        security: ['idToken'],
        query: SessionListQuery,
        answers: { 200: SessionPage },
        errors: [403],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        const q = req.query();
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
    ),
    route(
      'GET',
      '/v1/sessions/:sessionId',
      {
        ...onSession,
        operationId: 'getSession',
        summary: "A call's or a chat's details, and what the caller may do with it (MON-4, MON-5).",
        answers: { 200: SessionDetails },
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        return {
          status: 200,
          body: await getSessionDetails(deps.supervision(), actor, req.path().sessionId),
        };
      },
    ),
    route(
      'GET',
      '/v1/sessions/:sessionId/messages',
      {
        ...onSession,
        operationId: 'readChatThread',
        summary: "A chat's messages, oldest first.",
        query: ThreadQuery,
        answers: { 200: ChatThread },
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        const { limit } = req.query();
        return {
          status: 200,
          body: await readChatThread(deps.supervision(), actor, req.path().sessionId, limit),
        };
      },
    ),
    route(
      'PUT',
      '/v1/sessions/:sessionId/monitors/me',
      {
        ...onSession,
        operationId: 'startMonitoring',
        summary: 'Listen to a call or view a chat, unseen (MON-1, MON-2, MON-3).',
        answers: { 200: Monitor },
        errors: [403, 404, 409],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        return { status: 200, body: await startMonitoring(deps.supervision(), actor, req.path().sessionId) };
      },
    ),
    route(
      'DELETE',
      '/v1/sessions/:sessionId/monitors/me',
      {
        ...onSession,
        operationId: 'stopMonitoring',
        summary: "Stop the caller's monitor; stopping what is not running is not an error (MON-7).",
        answers: { 204: null },
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        await stopMonitoring(deps.supervision(), actor, req.path().sessionId);
        return { status: 204 };
      },
    ),
    route(
      'POST',
      '/v1/sessions/:sessionId/barge',
      {
        ...onSession,
        operationId: 'barge',
        summary: 'Join a call, audibly (MON-4).',
        answers: { 200: Monitor },
        errors: [403, 404, 409],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        return { status: 200, body: await barge(deps.supervision(), actor, req.path().sessionId) };
      },
    ),
    route(
      'POST',
      '/v1/sessions/:sessionId/end-requests',
      {
        ...onSession,
        operationId: 'requestEnd',
        summary: 'Ask to end a session: answers a confirmation to send back while it lasts (END-1).',
        answers: { 201: EndRequest },
        errors: [403, 404, 409],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        return { status: 201, body: await requestEnd(deps.supervision(), actor, req.path().sessionId) };
      },
    ),
    route(
      'POST',
      '/v1/sessions/:sessionId/end',
      {
        ...onSession,
        operationId: 'confirmEnd',
        summary: 'End a session, if it has not changed since the confirmation was given (END-1).',
        body: EndBody,
        answers: { 200: EndAnswer },
        errors: [403, 404, 409],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        const { confirmationId } = req.body();
        return {
          status: 200,
          body: await confirmEnd(deps.supervision(), actor, req.path().sessionId, confirmationId),
        };
      },
    ),
  ];
}
