import { z } from 'zod';
import {
  collaborationTargets,
  endConference,
  inviteToConference,
  requestTransfer,
  type CollaborationDeps,
} from '../../app/chat/collaboration.js';
import { TransferTargets } from '../deflection-answers.js';
import { notFound } from '../../domain/errors.js';
import { Identifier } from '../../domain/sessions/events.js';
import { onFirstUse, route, type Route } from '../router.js';
import type { Authenticate } from './callers.js';
import { ChatView } from './chats.js';

export interface ChatCollaborationApiDeps {
  authenticate: Authenticate;
  /** Absent where live chat offers' timeouts are not set up: live chat's agent side is then off. */
  collaboration?: () => CollaborationDeps;
}

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
const ChatParams = z.lazy(() => z.object({ sessionId: Identifier }));
const TargetsQuery = z.lazy(() =>
  z.object({
    q: z.string().trim().min(1).max(100).optional().describe('Narrows both lists by name.'),
  }),
);

const Targets = onFirstUse(() =>
  z.object({
    queues: TransferTargets().shape.targets,
    agents: z
      .array(z.object({ agentId: z.string(), name: z.string() }))
      .describe('Available, owing no wrap-up, and logged in as the platform reports; at most 50.'),
  }),
);

const TransferInput = z.lazy(() =>
  z.strictObject({
    to: z.discriminatedUnion('type', [
      z.strictObject({ type: z.literal('queue'), queueId: Identifier }),
      z.strictObject({ type: z.literal('agent'), agentId: Identifier }),
    ]),
  }),
);
const InviteInput = z.lazy(() => z.strictObject({ agentId: Identifier }));

/** Transfer (LCH-8) and conference (LCH-9), for the agent who accepted the chat. */
export function chatCollaborationRoutes(deps: ChatCollaborationApiDeps): Route[] {
  const collaboration = () => {
    if (!deps.collaboration) throw notFound('Live chat');
    return deps.collaboration();
  };
  const viewOf = async (c: CollaborationDeps, agentId: string, sessionId: string) =>
    (await c.chat.chats.getView(agentId, sessionId))!;
  return [
    route(
      'GET',
      '/v1/chats/:sessionId/transfer-targets',
      {
        operationId: 'listChatTransferTargets',
        summary:
          'The queues and available agents the caller may transfer their accepted chat to (or invite), now; ask again to refresh.',
        security: ['idToken'],
        params: ChatParams,
        query: TargetsQuery,
        answers: { 200: Targets },
        errors: [403, 404, 409],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        const { q } = req.query();
        return {
          status: 200,
          body: await collaborationTargets(collaboration(), actor.uid, req.path().sessionId, q),
        };
      },
    ),
    route(
      'POST',
      '/v1/chats/:sessionId/transfer',
      {
        operationId: 'transferChat',
        summary:
          'Transfer an accepted chat to a queue or an available agent; it stays with the caller until the receiving agent accepts.',
        security: ['idToken'],
        params: ChatParams,
        body: TransferInput,
        bodyName: 'The transfer',
        answers: { 200: ChatView },
        errors: [403, 404, 409],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        const { sessionId } = req.path();
        const { to } = req.body();
        const c = collaboration();
        await requestTransfer(c, actor.uid, sessionId, to);
        return { status: 200, body: await viewOf(c, actor.uid, sessionId) };
      },
    ),
    route(
      'POST',
      '/v1/chats/:sessionId/conference',
      {
        operationId: 'inviteToConference',
        summary:
          'Invite an available agent to share an accepted chat (Conference requested until they accept).',
        security: ['idToken'],
        params: ChatParams,
        body: InviteInput,
        bodyName: 'The invitation',
        answers: { 200: ChatView },
        errors: [403, 404, 409],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        const { sessionId } = req.path();
        const { agentId } = req.body();
        const c = collaboration();
        await inviteToConference(c, actor.uid, sessionId, agentId);
        return { status: 200, body: await viewOf(c, actor.uid, sessionId) };
      },
    ),
    route(
      'POST',
      '/v1/chats/:sessionId/conference/end',
      {
        operationId: 'endConference',
        summary:
          'End conference: the invited agent leaves the chat, or the owner ends it for everyone; the caller then owes a wrap-up.',
        security: ['idToken'],
        params: ChatParams,
        answers: { 200: ChatView },
        errors: [404, 409],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        const { sessionId } = req.path();
        const c = collaboration();
        await endConference(c, actor.uid, sessionId);
        return { status: 200, body: await viewOf(c, actor.uid, sessionId) };
      },
    ),
  ];
}
