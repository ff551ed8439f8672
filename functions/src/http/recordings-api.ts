import { createHash, timingSafeEqual } from 'node:crypto';
import { authenticate, type PeopleDeps } from '../app/authenticate.js';
import { openRecording, type DownloadDeps, type Downloader } from '../app/recordings/download.js';
import { forbidden, notFound } from '../domain/errors.js';
import type { Route, RouteContext } from './router.js';
import { PlanId } from '../domain/recordings/plan.js';
import { z } from 'zod';
import { listRecordings, readRecording, retryRecording } from '../app/recordings/admin.js';
import type { RecordingPipelineDeps } from '../app/recordings/deps.js';
import { parseOrThrow } from './errors.js';

/** The CRM presents its key in this header (REC-4); people present their ID token as elsewhere. */
export const CRM_KEY_HEADER = 'x-crm-key';

export interface RecordingsApiDeps {
  people: () => PeopleDeps;
  downloads: () => DownloadDeps;
  recordings: () => RecordingPipelineDeps;
  /** Current key first, then the previous one while it is rotated out. */
  crmKeys: readonly string[];
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Which configured key matches, compared in constant time (digests have equal lengths). */
function crmKeyOf(presented: string, keys: readonly string[]): 'current' | 'previous' | undefined {
  const given = digest(presented);
  let match: 'current' | 'previous' | undefined;
  keys.forEach((key, i) => {
    if (timingSafeEqual(given, digest(key))) match ??= i === 0 ? 'current' : 'previous';
  });
  return match;
}

async function downloaderOf(deps: RecordingsApiDeps, ctx: RouteContext): Promise<Downloader> {
  const key = ctx.req.header(CRM_KEY_HEADER);
  if (key !== undefined) {
    const which = crmKeyOf(key, deps.crmKeys);
    if (!which) throw forbidden('invalid_crm_key');
    return { by: 'crm_key', key: which };
  }
  const authorization = ctx.req.header('authorization');
  // REC-4 says everything but the CRM's key and multi-factor users is refused: 403 without credentials too.
  if (!authorization)
    throw forbidden('credentials_required', 'A CRM key or a multi-factor sign-in is required.');
  return { by: 'person', actor: await authenticate(deps.people(), authorization) };
}

const ListQuery = z.object({
  status: z.enum(['uploading', 'uploaded', 'deleted', 'failed', 'purged']),
  pageSize: z.coerce.number().int().min(1).max(100).default(25),
});

/**
 * Recordings on the api: the download route for the CRM and multi-factor supervisors (REC-4), and
 * the CRM admin's view of uploads that failed or were purged, with a retry once the cause is fixed.
 */
export function recordingRoutes(deps: RecordingsApiDeps): Route[] {
  const asPerson = async (ctx: RouteContext) => authenticate(deps.people(), ctx.req.header('authorization'));
  const planId = (ctx: RouteContext) => parseOrThrow(PlanId, ctx.params.planId, 'The recording id');
  return [
    {
      method: 'GET',
      path: '/v1/recordings',
      handle: async (ctx) => {
        const actor = await asPerson(ctx);
        const q = parseOrThrow(ListQuery, ctx.req.query, 'The query');
        return { status: 200, body: await listRecordings(deps.recordings(), actor, q.status, q.pageSize) };
      },
    },
    {
      method: 'GET',
      path: '/v1/recordings/:planId',
      handle: async (ctx) => ({
        status: 200,
        body: await readRecording(deps.recordings(), await asPerson(ctx), planId(ctx)),
      }),
    },
    {
      method: 'POST',
      path: '/v1/recordings/:planId/retry',
      handle: async (ctx) => ({
        status: 200,
        body: await retryRecording(deps.recordings(), await asPerson(ctx), planId(ctx)),
      }),
    },
    {
      method: 'GET',
      path: '/v1/recordings/:planId/content',
      handle: async (ctx) => {
        if (!PlanId.safeParse(ctx.params.planId).success) throw notFound('The recording');
        const planId = ctx.params.planId!;
        const who = await downloaderOf(deps, ctx);
        const { plan, body } = await openRecording(deps.downloads(), who, planId);
        const fileName = plan.fileName.replace(/[^\w.-]+/g, '_');
        return {
          status: 200,
          headers: {
            'content-type': plan.object.contentType ?? 'application/octet-stream',
            'content-length': String(plan.object.sizeBytes),
            'content-disposition': `attachment; filename="${fileName}"`,
            'cache-control': 'no-store',
          },
          stream: body,
        };
      },
    },
  ];
}
