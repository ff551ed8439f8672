import { z } from 'zod';
import type { MediaDeps } from '../../app/smart-actions/media.js';
import { viewSessionMedia } from '../../app/smart-actions/media.js';
import type { SupervisionDeps } from '../../app/supervision/deps.js';
import { notFound } from '../../domain/errors.js';
import { Identifier } from '../../domain/sessions/events.js';
import { onFirstUse, route, type Route } from '../router.js';
import type { Authenticate } from './callers.js';

export interface MediaApiDeps {
  authenticate: Authenticate;
  supervision: () => SupervisionDeps;
  /** Absent where the media bucket is not configured. */
  media?: () => MediaDeps;
}

// Built on their first parse: the api's cold start builds no route's schemas.
const SessionParams = z.lazy(() => z.object({ sessionId: Identifier }));
const MediaQuery = z.lazy(() =>
  z.object({
    limit: z.coerce.number().int().min(1).max(100).default(50),
    after: Identifier.optional().describe("The previous page's next."),
  }),
);

const SessionMedia = onFirstUse(() =>
  z.object({
    sessionId: z.string(),
    media: z.array(
      z.object({
        mediaId: z.string(),
        requestId: z.string().nullable().describe('Null for a web chat attachment.'),
        purpose: z.enum(['photos', 'screenshot', 'video', 'attachment']),
        state: z.enum(['issued', 'accepted', 'refused']).describe('issued: its upload has not finished.'),
        reason: z
          .string()
          .nullable()
          .describe('Why it was refused (and deleted): see docs/smart-actions.md.'),
        format: z.enum(['png', 'jpeg', 'mp4']).nullable(),
        sizeBytes: z.number().int().nullable(),
        issuedAt: z.string(),
        finalizedAt: z.string().nullable(),
        downloadUrl: z.string().optional().describe('Accepted files only: a signed URL good for 15 minutes.'),
        downloadUrlExpiresAt: z.string().optional(),
      }),
    ),
    next: z.string().nullable().describe('Pass as after for the next page; null on the last page.'),
  }),
);

/** The files of a session, for its agent and for a supervisor monitoring it (SMA-4). */
export function mediaRoutes(deps: MediaApiDeps): Route[] {
  return [
    route(
      'GET',
      '/v1/sessions/:sessionId/media',
      {
        security: ['idToken'],
        errors: [403, 404, 409],
        operationId: 'listSessionMedia',
        summary:
          "The photos, screenshots, videos and attachments of a session, accepted or refused (and why), with fresh download URLs: for the session's agent, and for a supervisor while monitoring it (409 not_monitoring otherwise).",
        params: SessionParams,
        query: MediaQuery,
        answers: { 200: SessionMedia },
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        if (!deps.media) throw notFound('Smart-action media');
        const { limit, after } = req.query();
        return {
          status: 200,
          body: await viewSessionMedia(
            { media: deps.media(), supervision: deps.supervision() },
            actor,
            req.path().sessionId,
            { limit, ...(after === undefined ? {} : { after }) },
          ),
        };
      },
    ),
  ];
}
