import type { CloudTasksClient, protos } from '@google-cloud/tasks';
import { planIdFor } from '../../domain/recordings/plan.js';
import type { PlanRequest, RecordingTasks } from '../../ports/recordings.js';
import { GrpcCode } from '../grpc-codes.js';

export interface CloudTasksRecordingTasksOptions {
  /** `projects/P/locations/L/queues/Q`. */
  queue: string;
  /** The worker's base URL; also the audience of the OIDC tokens the tasks carry. */
  workerUrl: string;
  /** The service account the tasks' OIDC tokens are minted for. */
  serviceAccountEmail: string;
  /** `127.0.0.1:8123` or `http://127.0.0.1:8123`: a local Cloud Tasks server, spoken to over REST. */
  emulatorHost?: string;
}

type ClientOptions = NonNullable<ConstructorParameters<typeof CloudTasksClient>[0]>;

/** Cloud Tasks' own rule for task ids. */
const TASK_ID = /^[A-Za-z0-9_-]{1,500}$/;
const QUEUE_NAME = /^projects\/[^/]+\/locations\/[^/]+\/queues\/[^/]+$/;
/** The longest a worker may take (Cloud Tasks' maximum for HTTP targets): a 50 MB part to the CRM. */
const DISPATCH_DEADLINE_SECONDS = 1800;
const HTTP_CONFLICT = 409;

/**
 * Every task is a named HTTP POST to the worker with a JSON body and an OIDC token. The names make
 * creation idempotent: Cloud Tasks refuses a second task of the same name while the first exists and
 * for about an hour after it ran, and that refusal counts as success here.
 */
export class CloudTasksRecordingTasks implements RecordingTasks {
  private client: Promise<CloudTasksClient> | undefined;
  private readonly baseUrl: string;

  constructor(private readonly options: CloudTasksRecordingTasksOptions) {
    if (!QUEUE_NAME.test(options.queue))
      throw new Error(`queue must be projects/P/locations/L/queues/Q, not "${options.queue}"`);
    this.baseUrl = options.workerUrl.replace(/\/+$/, '');
  }

  // The Cloud Tasks client (gax, protobufs) is heavy: load it on the first task, not at cold start.
  private tasks(): Promise<CloudTasksClient> {
    this.client ??= import('@google-cloud/tasks').then(
      ({ CloudTasksClient }) => new CloudTasksClient(clientOptions(this.options.emulatorHost)),
    );
    return this.client;
  }

  async enqueuePlanning(request: PlanRequest): Promise<void> {
    const fingerprint = planIdFor({
      bucket: request.bucket,
      name: request.object,
      generation: request.generation ?? 'live',
    });
    await this.create(`plan-${fingerprint}`, '/v1/tasks/plan', request);
  }

  async enqueuePartUpload(planId: string, round: number, partIndex: number): Promise<void> {
    assertCount(round, 'round');
    assertCount(partIndex, 'partIndex');
    await this.create(`part-${planId}-r${round}-p${partIndex}`, '/v1/tasks/upload-part', {
      planId,
      round,
      partIndex,
    });
  }

  async schedulePartUpload(planId: string, round: number, partIndex: number, at: Date): Promise<void> {
    assertCount(round, 'round');
    assertCount(partIndex, 'partIndex');
    const seconds = wholeSecondsOf(at, 'schedulePartUpload');
    await this.create(
      `part-${planId}-r${round}-p${partIndex}-at${seconds}`,
      '/v1/tasks/upload-part',
      { planId, round, partIndex },
      seconds * 1000,
    );
  }

  async schedulePurge(planId: string, at: Date): Promise<void> {
    const ms = at.getTime();
    if (Number.isNaN(ms)) throw new RangeError('schedulePurge needs a valid date');
    await this.create(`purge-${planId}`, '/v1/tasks/purge', { planId }, ms);
  }

  async schedulePurgeAgain(planId: string, at: Date): Promise<void> {
    const seconds = wholeSecondsOf(at, 'schedulePurgeAgain');
    await this.create(`purge-${planId}-at${seconds}`, '/v1/tasks/purge', { planId }, seconds * 1000);
  }

  /** Releases the client's connections (tests and local tools; functions instances just end). */
  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await (await client).close();
  }

  protected async create(id: string, path: string, body: unknown, scheduleMs?: number): Promise<void> {
    if (!TASK_ID.test(id)) {
      throw new Error(
        `Invalid task id "${id.slice(0, 80)}${id.length > 80 ? '…' : ''}" (${id.length} characters): ` +
          'Cloud Tasks allows only letters, digits, "-" and "_", at most 500 characters',
      );
    }
    const task: protos.google.cloud.tasks.v2.ITask = {
      name: `${this.options.queue}/tasks/${id}`,
      dispatchDeadline: { seconds: DISPATCH_DEADLINE_SECONDS },
      httpRequest: {
        url: `${this.baseUrl}${path}`,
        httpMethod: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: Buffer.from(JSON.stringify(body)),
        oidcToken: {
          serviceAccountEmail: this.options.serviceAccountEmail,
          audience: this.options.workerUrl,
        },
      },
      ...(scheduleMs === undefined
        ? {}
        : {
            scheduleTime: {
              seconds: Math.floor(scheduleMs / 1000),
              nanos: (((scheduleMs % 1000) + 1000) % 1000) * 1_000_000,
            },
          }),
    };
    try {
      await (await this.tasks()).createTask({ parent: this.options.queue, task });
    } catch (error) {
      if (!alreadyExists(error)) throw error;
    }
  }
}

/** Options of a CloudTasksClient: gRPC with Application Default Credentials, or REST to a local server. */
export function clientOptions(emulatorHost: string | undefined): ClientOptions {
  if (!emulatorHost) return {};
  const url = new URL(
    /^[a-z][a-z0-9+.-]*:\/\//i.test(emulatorHost) ? emulatorHost : `http://${emulatorHost}`,
  );
  // The REST transport sends every call through `authClient.fetch`, and accepts any object with
  // `getRequestHeaders` as an auth client: no credentials are looked for. Plain fetch leaves error
  // bodies for gax to decode, so API errors carry gRPC codes as they would over gRPC.
  const authClient = {
    getRequestHeaders: async () => new Headers(),
    fetch: (input: string, init: RequestInit) => fetch(input, init),
  };
  return {
    fallback: true,
    apiEndpoint: url.hostname,
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    protocol: url.protocol.replace(/:$/, ''),
    authClient: authClient as unknown as ClientOptions['authClient'],
  };
}

/**
 * ALREADY_EXISTS over gRPC, and over REST when gax decodes the error body; HTTP 409 Conflict (as
 * `code` or a GaxiosError's `status`) when the REST error reaches us undecoded.
 */
function alreadyExists(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, status } = error as { code?: unknown; status?: unknown };
  return code === GrpcCode.ALREADY_EXISTS || code === HTTP_CONFLICT || status === HTTP_CONFLICT;
}

/** The task is due at this second (rounded up): its name and its schedule time agree. */
function wholeSecondsOf(at: Date, what: string): number {
  const ms = at.getTime();
  if (Number.isNaN(ms) || ms < 0) throw new RangeError(`${what} needs a valid date`);
  return Math.ceil(ms / 1000);
}

function assertCount(value: number, what: string) {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`${what} must be a count, not ${value}`);
}
