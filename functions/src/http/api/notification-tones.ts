import { z } from 'zod';
import {
  deleteTone,
  listTones,
  replaceTone,
  toneAudio,
  uploadTone,
  type ToneDeps,
  type ToneEntry,
} from '../../app/notifications/tones.js';
import { Text } from '../../domain/deflection/settings.js';
import { AppError, notFound } from '../../domain/errors.js';
import { Identifier } from '../../domain/sessions/events.js';
import { checkPreview, previewUrl } from '../tone-previews.js';
import { onFirstUse, route, type Route, type RouteContext } from '../router.js';
import { settingsEditor, type Authenticate } from './callers.js';
import { Instant } from './answers.js';

/** The tone library, with the key its preview URLs are signed with. */
export type ToneApiDeps = ToneDeps & { previewKey: string };

export interface NotificationTonesApiDeps {
  authenticate: Authenticate;
  tones: () => ToneApiDeps;
}

/** What an upload may be sent as: browsers name an `.mp3` file `audio/mpeg`, a few `audio/mp3`. */
const AUDIO_TYPES = new Set(['audio/mpeg', 'audio/mp3']);

const ToneName = Text(100).refine((name) => !/\p{Cc}/u.test(name), 'must hold no control characters');
// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
const ToneParams = z.lazy(() => z.object({ toneId: Identifier }));
const UploadQuery = z.lazy(() =>
  z.object({ name: ToneName.describe("The tone's label, as admins will see it.") }),
);
const ReplaceQuery = z.lazy(() =>
  z.object({
    name: ToneName.optional().describe('A new label; the current one is kept if absent.'),
  }),
);
const PreviewQuery = z.lazy(() =>
  z.object({
    generation: z.string().regex(/^\d{1,20}$/, 'must be a generation number'),
    expires: z.coerce.number().int().min(0).max(253_402_300_799),
    signature: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a preview signature'),
  }),
);

const ToneAnswer = onFirstUse(() =>
  z.object({
    id: z.string(),
    name: z.string(),
    sizeBytes: z.number().int(),
    durationMs: z.number().int().describe('Measured from the audio frames.'),
    uploadedAt: Instant(),
    uploadedBy: z.string(),
    usedBy: z
      .array(z.string())
      .describe(
        'Where the settings use it (`calls.incomingCallTone`, `queues.q1.announcement`…); deleting is refused while any.',
      ),
    preview: z
      .object({ url: z.string(), expiresAt: Instant() })
      .describe(
        "A URL, relative to the api's, that an `<audio>` element plays without credentials until `expiresAt`.",
      ),
  }),
);

function answerOf(deps: ToneApiDeps, { tone, usedBy }: ToneEntry) {
  const { object: _object, generation, ...shown } = tone;
  return { ...shown, usedBy, preview: previewUrl(deps.previewKey, tone.id, generation, deps.clock.now()) };
}

/** The upload's bytes, once its media type is one of an MP3: the content itself is checked by the use case. */
function audioBody(ctx: RouteContext): Buffer {
  const type = (ctx.req.header('content-type') ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (!AUDIO_TYPES.has(type))
    throw new AppError(
      'unsupported_media_type',
      415,
      'Send the tone as the body, with Content-Type: audio/mpeg.',
    );
  return ctx.req.rawBody ?? Buffer.alloc(0);
}

/** The one byte range an `<audio>` element asks for (`bytes=a-b`, `bytes=a-`, `bytes=-n`); undefined for the whole file. */
function rangeOf(header: string | undefined, size: number): { start: number; end: number } | undefined {
  const match = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header?.trim() ?? '');
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [first, last] = [match[1]!, match[2]!];
  const range =
    first === ''
      ? { start: Math.max(0, size - Number(last)), end: size - 1 }
      : { start: Number(first), end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
  if (range.start >= size || range.end < range.start || (first === '' && Number(last) === 0))
    throw new AppError('range_not_satisfiable', 416, `The tone has ${size} bytes.`, undefined, {
      'content-range': `bytes */${size}`,
    });
  return range;
}

const once = (bytes: Buffer) =>
  (async function* () {
    yield bytes;
  })();

/** The tone library (NOT-4), and NOT-3's uploaded whisper recordings: admins with Settings-Edit. */
export function notificationToneRoutes(deps: NotificationTonesApiDeps): Route[] {
  return [
    route(
      'GET',
      '/v1/notification-tones',
      {
        operationId: 'listNotificationTones',
        summary:
          'The uploaded tones and whisper recordings, each with where it is used and a preview URL (NOT-4).',
        security: ['idToken'],
        answers: { 200: () => z.object({ tones: z.array(ToneAnswer()) }) },
        errors: [403],
      },
      async (req) => {
        const actor = await settingsEditor(deps.authenticate, req);
        const tones = deps.tones();
        return {
          status: 200,
          body: { tones: (await listTones(tones, actor)).map((entry) => answerOf(tones, entry)) },
        };
      },
    ),
    route(
      'POST',
      '/v1/notification-tones',
      {
        operationId: 'uploadNotificationTone',
        summary:
          'Upload an .mp3 (the raw file as the body, Content-Type: audio/mpeg): MPEG Layer III audio, at most 1,000,000 bytes and 30 s, checked by its content (NOT-4).',
        security: ['idToken'],
        query: UploadQuery,
        rawBody: { mediaType: 'audio/mpeg' },
        answers: { 201: ToneAnswer },
        errors: [403, 409, 413, 415],
      },
      async (req) => {
        const actor = await settingsEditor(deps.authenticate, req);
        const bytes = audioBody(req);
        const { name } = req.query();
        const tones = deps.tones();
        return { status: 201, body: answerOf(tones, await uploadTone(tones, actor, { name, bytes })) };
      },
    ),
    route(
      'PUT',
      '/v1/notification-tones/:toneId',
      {
        operationId: 'replaceNotificationTone',
        summary:
          "Replace a tone's audio (and its name, when given): settings using it play the new audio, checked as an upload is (NOT-4).",
        security: ['idToken'],
        params: ToneParams,
        query: ReplaceQuery,
        rawBody: { mediaType: 'audio/mpeg' },
        answers: { 200: ToneAnswer },
        errors: [403, 404, 413, 415],
      },
      async (req) => {
        const actor = await settingsEditor(deps.authenticate, req);
        const { toneId } = req.path();
        const bytes = audioBody(req);
        const { name } = req.query();
        const tones = deps.tones();
        const entry = await replaceTone(tones, actor, toneId, {
          bytes,
          ...(name !== undefined ? { name } : {}),
        });
        return { status: 200, body: answerOf(tones, entry) };
      },
    ),
    route(
      'DELETE',
      '/v1/notification-tones/:toneId',
      {
        operationId: 'deleteNotificationTone',
        summary:
          'Delete a tone, refused (409 tone_in_use, naming the settings) while a setting uses it (NOT-4).',
        security: ['idToken'],
        params: ToneParams,
        answers: { 204: null },
        errors: [403, 404, 409],
      },
      async (req) => {
        const actor = await settingsEditor(deps.authenticate, req);
        await deleteTone(deps.tones(), actor, req.path().toneId);
        return { status: 204 };
      },
    ),
    route(
      'GET',
      '/v1/notification-tones/:toneId/audio',
      {
        operationId: 'previewNotificationTone',
        summary:
          "A tone's audio, for an `<audio>` element: open, but only through the signed, short-lived URL the tone list gives (NOT-4).",
        security: [],
        params: ToneParams,
        query: PreviewQuery,
        answers: { 200: { bytes: 'audio/mpeg' }, 206: { bytes: 'audio/mpeg' } },
        errors: [403, 404, 416],
      },
      async (req) => {
        // An id that cannot be a tone's is one that does not exist.
        if (!ToneParams.safeParse(req.params).success) throw notFound('The tone');
        const toneId = req.params.toneId!;
        const proof = req.query();
        const tones = deps.tones();
        const now = tones.clock.now();
        checkPreview(tones.previewKey, toneId, proof, now);
        const bytes = await toneAudio(tones, toneId, proof.generation);
        const range = rangeOf(req.req.header('range'), bytes.length);
        const body = range ? bytes.subarray(range.start, range.end + 1) : bytes;
        return {
          status: range ? 206 : 200,
          headers: {
            'content-type': 'audio/mpeg',
            'content-length': String(body.length),
            'accept-ranges': 'bytes',
            ...(range ? { 'content-range': `bytes ${range.start}-${range.end}/${bytes.length}` } : {}),
            'cache-control': `private, max-age=${Math.max(0, proof.expires - Math.floor(now.getTime() / 1000))}`,
            'x-content-type-options': 'nosniff',
          },
          stream: once(body),
        };
      },
    ),
  ];
}
