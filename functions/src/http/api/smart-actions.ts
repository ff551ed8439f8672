import { z } from 'zod';
import {
  askSmartAction,
  listSmartActions,
  resumeRecording,
  type SmartActionDeps,
} from '../../app/smart-actions/requests.js';
import { notFound } from '../../domain/errors.js';
import { MAX_TEXT_INPUT_LENGTH, REQUEST_TTL_MS, SMART_ACTIONS } from '../../domain/smart-actions/actions.js';
import { Identifier } from '../../domain/sessions/events.js';
import { onFirstUse, route, type Route } from '../router.js';
import type { Authenticate } from './callers.js';

export interface SmartActionsApiDeps {
  authenticate: Authenticate;
  /** Absent where the platform's command topic is not configured. */
  smartActions?: () => SmartActionDeps;
}

const SessionParams = z.lazy(() => z.object({ sessionId: Identifier }));

const AskInput = z.lazy(() =>
  z.strictObject({
    action: z
      .enum(SMART_ACTIONS)
      .describe(
        'Mobile SDK calls: all six; mobile SDK chats: verify_identity, photos, screenshot, video; other sessions: none.',
      ),
    clientRequestId: Identifier.describe(
      'Chosen by the desktop for each ask: asked again with it, the same request is answered and nothing new is sent.',
    ),
  }),
);

/** A smart-action request as the agent sees it (the same fields as the document their desktop reads). */
export const SmartActionAnswer = onFirstUse(() =>
  z.object({
    id: z.string(),
    sessionId: z.string(),
    action: z.enum(SMART_ACTIONS),
    kind: z.enum(['call', 'chat']),
    state: z
      .enum(['requested', 'answered', 'declined', 'expired'])
      .describe(
        `A prompt not answered within ${REQUEST_TTL_MS / 60_000} minutes is expired; a redaction is requested while the recording is paused and answered once resumed.`,
      ),
    agentId: z.string(),
    clientRequestId: z.string(),
    requestedAt: z.string(),
    expiresAt: z
      .string()
      .nullable()
      .describe('Null for a redaction, which lasts until resumed or the end of the call.'),
    maxFiles: z.number().int().describe('Photos 4, screenshot 1, video 1; 0 for the others.'),
    settledAt: z.string().nullable(),
    result: z
      .discriminatedUnion('type', [
        z.object({
          type: z.literal('identity'),
          outcome: z.enum(['verified', 'failed']),
          sequence: z.number().int(),
        }),
        z.object({
          type: z.literal('text'),
          text: z.string().describe(`What the consumer typed (at most ${MAX_TEXT_INPUT_LENGTH} characters).`),
        }),
        z.object({
          type: z.literal('media'),
          files: z.array(
            z.object({
              object: z.string(),
              contentType: z.string(),
              sizeBytes: z.number().int(),
              acceptedAt: z.string(),
            }),
          ),
        }),
        z.object({ type: z.literal('redaction'), resumedBy: z.string().nullable() }),
      ])
      .nullable(),
    sentToPlatform: z
      .boolean()
      .describe('False when the platform could not be told yet: ask again with the same clientRequestId.'),
  }),
);

/** SMA-1, SMA-2: the agent who owns a session asks its consumer for smart actions, and redacts calls. */
export function smartActionRoutes(deps: SmartActionsApiDeps): Route[] {
  const smartActions = () => {
    if (!deps.smartActions) throw notFound('Smart actions');
    return deps.smartActions();
  };
  return [
    route(
      'POST',
      '/v1/sessions/:sessionId/smart-actions',
      {
        operationId: 'askSmartAction',
        summary:
          "Ask the session's consumer for a smart action (201), or pause the call's recording (redact); 200 for a retry of the same ask. Only the session's agent can; what the session does not allow is a 409 naming the reason.",
        security: ['idToken'],
        params: SessionParams,
        body: AskInput,
        bodyName: 'The smart action',
        answers: { 200: SmartActionAnswer, 201: SmartActionAnswer },
        errors: [403, 404, 409, 503],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        const { sessionId } = req.path();
        const input = req.body();
        const { request, created } = await askSmartAction(
          smartActions(),
          actor.uid,
          sessionId,
          input,
          req.log,
        );
        return { status: created ? 201 : 200, body: request };
      },
    ),
    route(
      'GET',
      '/v1/sessions/:sessionId/smart-actions',
      {
        operationId: 'listSmartActions',
        summary:
          "The session's smart-action requests, oldest first, with their state now; for the session's agent.",
        security: ['idToken'],
        params: SessionParams,
        answers: { 200: () => z.object({ items: z.array(SmartActionAnswer()) }) },
        errors: [403, 404],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        const { sessionId } = req.path();
        return { status: 200, body: { items: await listSmartActions(smartActions(), actor.uid, sessionId) } };
      },
    ),
    route(
      'POST',
      '/v1/sessions/:sessionId/redaction/resume',
      {
        operationId: 'resumeRecording',
        summary:
          "Resume the call's recording that a redaction paused: the paused span ends now. Only the session's agent can; a 409 when nothing is paused.",
        security: ['idToken'],
        params: SessionParams,
        answers: { 200: SmartActionAnswer },
        errors: [403, 404, 409, 503],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        const { sessionId } = req.path();
        return { status: 200, body: await resumeRecording(smartActions(), actor.uid, sessionId, req.log) };
      },
    ),
  ];
}
