import { createHash, timingSafeEqual } from 'node:crypto';
import type { Authenticate } from './callers.js';
import { openRecording, type DownloadDeps, type Downloader } from '../../app/recordings/download.js';
import { forbidden, notFound } from '../../domain/errors.js';
import { onFirstUse, route, type Route, type RouteContext } from '../router.js';
import { PLAN_STATUSES, PlanId } from '../../domain/recordings/plan.js';
import { SALESFORCE_ID } from '../../ports/crm.js';
import { z } from 'zod';
import {
  listRecordings,
  readRecording,
  retryFailedRecordings,
  retryRecording,
} from '../../app/recordings/admin.js';
import type { RecordingPipelineDeps } from '../../app/recordings/deps.js';
import { Instant } from './answers.js';

/** The CRM presents its key in this header (REC-4); people present their ID token as elsewhere. */
export const CRM_KEY_HEADER = 'x-crm-key';

export interface RecordingsApiDeps {
  authenticate: Authenticate;
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
  return { by: 'person', actor: await deps.authenticate(ctx) };
}

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
const ListQuery = z.lazy(() =>
  z.object({
    status: z.enum(PLAN_STATUSES),
    pageSize: z.coerce.number().int().min(1).max(100).default(25),
  }),
);
const PlanParams = z.lazy(() => z.object({ planId: PlanId }));

const Failure = onFirstUse(() =>
  z.object({
    at: Instant(),
    partIndex: z.number().int(),
    kind: z.string(),
    reason: z.string(),
    attempts: z.number().int(),
  }),
);

/** Failure kinds and reasons are lower-case codes (`not_acknowledged`, `invalid_grant`…). */
const FailureCode = z.lazy(() =>
  z.string().regex(/^[a-z0-9_]{1,80}$/, 'must be a failure code: lower-case letters, digits and "_"'),
);

/** A bulk retry takes at most this many recordings in one call. */
const MAX_BULK_RETRY = 100;

const BulkRetryInput = z.lazy(() =>
  z.strictObject({
    kind: FailureCode.optional(),
    reason: FailureCode.optional(),
    failedSince: z.iso.datetime({ offset: true }).optional(),
    crmRecordId: z.string().regex(SALESFORCE_ID, 'must be a Salesforce id').optional(),
    limit: z.number().int().min(1).max(MAX_BULK_RETRY).default(MAX_BULK_RETRY),
  }),
);

const BulkRetryAnswer = onFirstUse(() =>
  z.object({
    matched: z.number().int(),
    retriedCount: z.number().int(),
    retried: z.array(z.string()),
    skipped: z.array(z.object({ id: z.string(), reason: z.enum(['past_purge_time', 'recording_changed']) })),
    more: z.boolean(),
  }),
);

const RecordingSummary = onFirstUse(() =>
  z.object({
    id: z.string(),
    status: z.enum(PLAN_STATUSES),
    sessionId: z.string().nullable(),
    crmRecordId: z.string().nullable(),
    fileName: z.string(),
    sizeBytes: z.number().int(),
    parts: z.array(
      z.object({
        index: z.number().int(),
        sizeBytes: z.number().int(),
        acknowledged: z.boolean(),
        contentVersionId: z.string().nullable(),
      }),
    ),
    partsAcknowledged: z.number().int(),
    crmCalls: z
      .object({ logins: z.number().int(), lookups: z.number().int(), inserts: z.number().int() })
      .describe(
        'CRM API requests made for the parts acknowledged so far: logins (token requests), look-ups, inserts.',
      ),
    objectCreatedAt: Instant(),
    purgeAt: Instant(),
    deadline: Instant(),
    lastFailure: Failure().nullable(),
    failure: Failure().nullable(),
    deletedAt: Instant().nullable(),
    purge: z
      .object({
        at: Instant(),
        reason: z.enum(['deadline', 'orphaned_object']),
        partsAcknowledged: z.number().int(),
        partCount: z.number().int(),
      })
      .nullable(),
  }),
);

/**
 * Recordings on the api: the download route for the CRM and multi-factor supervisors (REC-4), and
 * the CRM admin's view of uploads that failed or were purged, with a retry once the cause is fixed.
 */
export function recordingRoutes(deps: RecordingsApiDeps): Route[] {
  return [
    route(
      'GET',
      '/v1/recordings',
      {
        operationId: 'listRecordings',
        summary: 'Recordings in one upload state, for the CRM admin.',
        security: ['idToken'],
        query: ListQuery,
        answers: { 200: () => z.object({ recordings: z.array(RecordingSummary()) }) },
        errors: [403],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        const q = req.query();
        return { status: 200, body: await listRecordings(deps.recordings(), actor, q.status, q.pageSize) };
      },
    ),
    route(
      'GET',
      '/v1/recordings/:planId',
      {
        operationId: 'readRecording',
        summary: "One recording's upload: where it stands, and why when it went wrong.",
        security: ['idToken'],
        params: PlanParams,
        answers: { 200: RecordingSummary },
        errors: [403, 404],
      },
      async (req) => ({
        status: 200,
        body: await readRecording(deps.recordings(), await deps.authenticate(req), req.path().planId),
      }),
    ),
    route(
      'POST',
      '/v1/recordings/:planId/retry',
      {
        operationId: 'retryRecording',
        summary: 'Upload a failed recording again, from the first part the CRM does not have.',
        security: ['idToken'],
        params: PlanParams,
        answers: { 200: RecordingSummary },
        errors: [403, 404, 409],
      },
      async (req) => ({
        status: 200,
        body: await retryRecording(deps.recordings(), await deps.authenticate(req), req.path().planId),
      }),
    ),
    route(
      'POST',
      '/v1/recordings/retries',
      {
        operationId: 'retryFailedRecordings',
        summary:
          'Upload again every failed recording matching a filter (failure kind and reason, failed since, CRM record), at most `limit`.',
        security: ['idToken'],
        body: BulkRetryInput,
        bodyName: 'The retry filter',
        answers: { 200: BulkRetryAnswer },
        errors: [403],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        const { failedSince, limit, ...filter } = req.body();
        return {
          status: 200,
          body: await retryFailedRecordings(
            deps.recordings(),
            actor,
            { ...filter, ...(failedSince ? { failedSince: new Date(failedSince) } : {}) },
            limit,
          ),
        };
      },
    ),
    route(
      'GET',
      '/v1/recordings/:planId/content',
      {
        operationId: 'downloadRecording',
        summary: "A recording's bytes, for the CRM's key or a person signed in with a second factor (REC-4).",
        security: ['crmKey', 'idToken'],
        params: PlanParams,
        answers: { 200: { bytes: 'application/octet-stream' } },
        errors: [403, 404],
      },
      async (req) => {
        // An id that cannot be a recording's is one that does not exist, whoever asks.
        if (!PlanParams.safeParse(req.params).success) throw notFound('The recording');
        const planId = req.params.planId!;
        const who = await downloaderOf(deps, req);
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
    ),
  ];
}
