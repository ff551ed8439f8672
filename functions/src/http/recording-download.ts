import { createHash, timingSafeEqual } from 'node:crypto';
import { authenticate, type PeopleDeps } from '../app/authenticate.js';
import { openRecording, type DownloadDeps, type Downloader } from '../app/recordings/download.js';
import { forbidden, notFound } from '../domain/errors.js';
import type { Route, RouteContext } from './router.js';

/** The CRM presents its key in this header (REC-4); people present their ID token as elsewhere. */
export const CRM_KEY_HEADER = 'x-crm-key';

export interface RecordingDownloadDeps {
  people: () => PeopleDeps;
  downloads: () => DownloadDeps;
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

async function downloaderOf(deps: RecordingDownloadDeps, ctx: RouteContext): Promise<Downloader> {
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

export function recordingDownloadRoutes(deps: RecordingDownloadDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/recordings/:planId/content',
      handle: async (ctx) => {
        const planId = ctx.params.planId ?? '';
        if (!/^[A-Za-z0-9-]{1,200}$/.test(planId)) throw notFound('The recording');
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
