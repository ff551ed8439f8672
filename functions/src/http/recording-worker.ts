import { z } from 'zod';
import type { RecordingsDeps, TaskAnswer } from '../app/recordings/deps.js';
import { planRecording } from '../app/recordings/plan-recording.js';
import { runPartTask, runPurgeTask } from '../app/recordings/upload-tasks.js';
import {
  runMergeTask,
  runTicketTask,
  type ConsumerWorkerDeps,
} from '../app/consumers/anonymous-consumers.js';
import { runVoicemailTask, type VoicemailWorkerDeps } from '../app/deflection/voicemail-delivery.js';
import { notFound, retryLater } from '../domain/errors.js';
import { PlanId } from '../domain/recordings/plan.js';
import { Identifier, TemporaryConsumerId } from '../domain/sessions/events.js';
import type { ServiceCallerVerifier } from '../ports/callers.js';
import { parseOrThrow, toHttpError } from './errors.js';
import type { Route, RouteContext, RouteResult } from './router.js';

/**
 * recordingWorker: the target of the recordings queue's tasks. Every call must carry the tasks'
 * OIDC token. The answer tells Cloud Tasks what to do: 2xx acknowledges the task; 429 and 503 (with
 * Retry-After when the CRM said how long) ask for a retry with the queue's backoff (REC-2); a 500
 * (something unexpected) is retried too.
 */
export interface RecordingWorkerDeps {
  recordings: () => RecordingsDeps;
  caller: () => ServiceCallerVerifier;
  /** Anonymous consumers' CRM work (UNA-1 … UNA-5): the same queue, the same CRM. */
  consumers?: () => ConsumerWorkerDeps;
  /** Voicemails for the CRM (AHD-6): the same queue, the same CRM. */
  voicemails?: () => VoicemailWorkerDeps;
}

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
/**
 * An object name as Cloud Storage accepts one: 1 to 1024 bytes of UTF-8, no carriage return or line
 * feed, not "." or "..", not under ".well-known/acme-challenge/". Anything else the service refuses,
 * and that refusal must be the caller's 400, not our 500.
 */
export const StorageObjectName = z.lazy(() =>
  z
    .string()
    .min(1)
    .max(1024)
    .refine((name) => !/\p{Surrogate}/u.test(name), 'must be well-formed Unicode (no lone surrogate)')
    .refine((name) => Buffer.byteLength(name, 'utf8') <= 1024, 'must be at most 1024 bytes of UTF-8')
    .refine((name) => !/[\r\n]/.test(name), 'must not contain a carriage return or line feed')
    .refine((name) => name !== '.' && name !== '..', 'must not be . or ..')
    .refine(
      (name) => !name.startsWith('.well-known/acme-challenge/'),
      'must not start with .well-known/acme-challenge/',
    ),
);

/** A Cloud Storage generation: a 64-bit number, in decimal. */
export const StorageGeneration = z.lazy(() => z.string().regex(/^\d{1,19}$/, 'must be a generation number'));

/** A recording has far fewer parts and retries than these; larger numbers are not a task of ours. */
export const MAX_PART_INDEX = 100_000;
export const MAX_ROUND = 10_000;

export const PlanTask = z.lazy(() =>
  z.object({
    bucket: z.string().min(3).max(222),
    object: StorageObjectName,
    generation: StorageGeneration.optional(),
    sessionId: Identifier,
    recordingId: Identifier,
  }),
);
export const PartTask = z.lazy(() =>
  z.object({
    planId: PlanId,
    round: z.number().int().nonnegative().max(MAX_ROUND),
    partIndex: z.number().int().nonnegative().max(MAX_PART_INDEX),
  }),
);
export const PurgeTask = z.lazy(() => z.object({ planId: PlanId }));
/** `source:id`, as `consumerKey` writes it: checked by the temporary id's own schema. */
const ConsumerKey = z.lazy(() =>
  z
    .string()
    .max(160)
    .refine((key) => {
      const colon = key.indexOf(':');
      return TemporaryConsumerId.safeParse({ source: key.slice(0, colon), id: key.slice(colon + 1) }).success;
    }, 'must be a consumer key'),
);
const TicketTask = z.lazy(() =>
  z.strictObject({
    consumerKey: ConsumerKey,
    sessionId: Identifier,
  }),
);
/** A merge changes a few times at most; a larger version is not a task of ours. */
const MAX_MERGE_VERSION = 100_000;
const MergeTask = z.lazy(() =>
  z.strictObject({
    mergeId: Identifier,
    version: z.number().int().min(1).max(MAX_MERGE_VERSION),
  }),
);
const VoicemailTask = z.lazy(() => z.strictObject({ voicemailId: Identifier }));

export function answer(result: TaskAnswer): RouteResult {
  if (result.outcome === 'done') return { status: 200, body: { outcome: 'done' } };
  // Cloud Tasks reads the status and Retry-After; no header means its own backoff.
  const { status, headers = {}, body } = toHttpError(retryLater(result.reason, result));
  return { status, headers, body };
}

export function recordingWorkerRoutes(deps: RecordingWorkerDeps): Route[] {
  const task = async <S extends z.ZodType>(ctx: RouteContext, schema: S, what: string) => {
    await deps.caller().verify(ctx.req.header('authorization'));
    return parseOrThrow(schema, ctx.json(), what);
  };
  return [
    {
      method: 'POST',
      path: '/v1/tasks/plan',
      handle: async (ctx) => {
        const t = await task(ctx, PlanTask, 'The plan task');
        const result = await planRecording(deps.recordings(), {
          bucket: t.bucket,
          name: t.object,
          ...(t.generation ? { generation: t.generation } : {}),
          sessionId: t.sessionId,
          recordingId: t.recordingId,
          source: 'platform',
        });
        return { status: 200, body: { outcome: result.outcome } };
      },
    },
    {
      method: 'POST',
      path: '/v1/tasks/upload-part',
      handle: async (ctx) =>
        answer(await runPartTask(deps.recordings(), await task(ctx, PartTask, 'The upload task'))),
    },
    {
      method: 'POST',
      path: '/v1/tasks/consumer-ticket',
      handle: async (ctx) => {
        const t = await task(ctx, TicketTask, 'The ticket task');
        if (!deps.consumers) throw notFound('Anonymous consumers');
        return answer(await runTicketTask(deps.consumers(), t));
      },
    },
    {
      method: 'POST',
      path: '/v1/tasks/consumer-merge',
      handle: async (ctx) => {
        const t = await task(ctx, MergeTask, 'The merge task');
        if (!deps.consumers) throw notFound('Anonymous consumers');
        return answer(await runMergeTask(deps.consumers(), t));
      },
    },
    {
      method: 'POST',
      path: '/v1/tasks/voicemail',
      handle: async (ctx) => {
        const t = await task(ctx, VoicemailTask, 'The voicemail task');
        if (!deps.voicemails) throw notFound('Voicemails for the CRM');
        return answer(await runVoicemailTask(deps.voicemails(), t));
      },
    },
    {
      method: 'POST',
      path: '/v1/tasks/purge',
      handle: async (ctx) =>
        answer(await runPurgeTask(deps.recordings(), (await task(ctx, PurgeTask, 'The purge task')).planId)),
    },
  ];
}
