import { z } from 'zod';
import { Identifier } from '../domain/sessions/events.js';
import { onFirstUse } from './router.js';

/** The most files one ask may name: a photos request's four. */
export const MAX_FILES_PER_ASK = 4;

// Built on their first parse, like the other platform routes' schemas: most cold starts serve events.
export const MediaUploadsParams = z.lazy(() => z.object({ sessionId: Identifier }));

/** What the platform asks for the consumer's SDK (SMA-2, SMA-3). */
export const MediaUploadsAsk = z.lazy(() =>
  z.strictObject({
    askId: Identifier.describe(
      "The platform's id of this ask: asked again with it, the same URLs come back and no more files are counted.",
    ),
    requestId: Identifier.optional().describe(
      'The photos, screenshot or video request the files answer. Left out for a web chat attachment (SMA-3).',
    ),
    files: z
      .array(
        z.strictObject({
          sizeBytes: z
            .number()
            .int()
            .min(1)
            .max(500_000_000)
            .describe('The exact size: the upload must be this many bytes.'),
          fileName: z
            .string()
            .min(5)
            .max(255)
            .regex(/^[^\p{Cc}\p{Cs}/\\]*$/u, 'must be a file name without control characters or slashes')
            .optional()
            .describe('An attachment only: its name, ending in .png, .jpg or .mp4.'),
        }),
      )
      .min(1)
      .max(MAX_FILES_PER_ASK),
  }),
);

export const MediaUploadsAnswer = onFirstUse(() =>
  z.object({
    sessionId: z.string(),
    uploads: z.array(
      z.object({
        mediaId: z.string(),
        slot: z.number().int().describe("The file's place in its request (1 to 4 for photos)."),
        object: z.string().describe('The object the upload creates, named by the server.'),
        uploadUrl: z
          .string()
          .describe(
            'A Cloud Storage resumable upload session for exactly sizeBytes bytes (PUT the bytes, resume with Content-Range); it creates the object once and cannot replace it.',
          ),
        sizeBytes: z.number().int(),
        expiresAt: z
          .string()
          .describe('An upload finished later than this is refused (upload_expired) and deleted.'),
      }),
    ),
  }),
);
