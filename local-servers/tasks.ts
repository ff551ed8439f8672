/**
 * A small Cloud Tasks (v2) server for local development and tests.
 *
 * Google ships no Cloud Tasks emulator, so this speaks the REST surface that `@google-cloud/tasks` uses in
 * `fallback: true` mode (the google.api.http rules of google/cloud/tasks/v2/cloudtasks.proto, proto3 JSON
 * bodies, Google JSON errors) and dispatches HTTP-target tasks the way the real service documents it:
 * X-CloudTasks-* headers, OIDC tokens, RetryConfig backoff, dispatch deadlines and maxConcurrentDispatches.
 *
 * Time model: timestamps (createTime, scheduleTime, attempt times, the 30-day limit) come from `now()`;
 * every duration the server waits out or measures (scheduleTime delays, backoffs, Retry-After, dispatch
 * deadlines, maxRetryDuration, the name tombstone) runs `timeScale` times faster on a monotonic clock, so
 * a test can go through hours of retries in milliseconds while still reading realistic timestamps.
 * `advanceTime` moves both forward at once, as if that long had passed: what was scheduled within it
 * becomes due (the local stack's time travel).
 *
 * Not modelled: App Engine targets, OAuth tokens, rate limiting by maxDispatchesPerSecond, redirects,
 * IAM, queue-name tombstones after DeleteQueue, ListQueues filters, system throttling.
 */
import { createHash, generateKeyPairSync, randomInt, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

// ---------------------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------------------

export interface TasksServerOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Wall clock in epoch ms that scheduleTime and the reported timestamps are based on. */
  now?: () => number;
  /** Every wait is divided by this (default 1): 1000 turns a 1 s backoff into 1 ms. */
  timeScale?: number;
  /** `iss` claim of the OIDC tokens; default Google's. */
  oidcIssuer?: string;
  /** How long a finished or deleted task name stays taken; default 1 hour like Cloud Tasks. */
  tombstoneTtlMs?: number;
  /** Create unknown queues on their first task with default config (default true; the real service says NOT_FOUND). */
  autoCreateQueues?: boolean;
}

export interface TasksServer {
  url: string;
  port: number;
  /** JWKS (`{keys: [...]}`) of the key that signs OIDC tokens. */
  jwksUrl: string;
  /** The same keys as Google's `{kid: pem}` map, for OAuth2Client.verifySignedJwtWithCertsAsync. */
  certsUrl: string;
  issuer: string;
  close(): Promise<void>;
  /** Resolves once no task is in flight or waiting in a running queue (tasks in paused queues do not count). */
  idle(): Promise<void>;
  /** Every attempt made for a task, by full name or by task id; kept after the task is gone. */
  attempts(taskName: string): AttemptRecord[];
  /**
   * Moves the server's time forward by `ms` (never back), timestamps and waits alike: tasks whose
   * schedule time or next retry falls within it are dispatched now. OIDC tokens keep the real time
   * (their verifiers check it).
   */
  advanceTime(ms: number): void;
}

/** RetryConfig in milliseconds. maxAttempts -1 = unlimited; maxRetryDurationMs 0 = no age limit. */
export interface RetryPolicy {
  maxAttempts: number;
  maxRetryDurationMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  maxDoublings: number;
}

/** What Cloud Tasks picks for fields left unset when a queue is created. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 100,
  maxRetryDurationMs: 0,
  minBackoffMs: 100,
  maxBackoffMs: 3_600_000,
  maxDoublings: 16,
});

export type AttemptOutcome = 'succeeded' | 'will-retry' | 'gave-up' | 'abandoned';

export interface AttemptRecord {
  /** 1-based. */
  attempt: number;
  /** Epoch ms from `now()`. */
  scheduleTime: number;
  dispatchTime: number;
  responseTime: number;
  /** HTTP status when the target answered. */
  status?: number;
  /** 'DEADLINE_EXCEEDED' or the connection error when it did not. */
  error?: string;
  outcome: AttemptOutcome;
  /** Wait chosen before the next attempt (backoff or a longer Retry-After), unscaled. */
  nextDelayMs?: number;
}

/**
 * The wait before the next attempt, as RetryConfig documents it: start at minBackoff, double maxDoublings
 * times, then grow linearly by the last doubled interval (2^maxDoublings * minBackoff), never above
 * maxBackoff. `attemptsSoFar` counts the attempts already made (1 after the first failure).
 */
export function nextRetryDelayMs(
  policy: Pick<RetryPolicy, 'minBackoffMs' | 'maxBackoffMs' | 'maxDoublings'>,
  attemptsSoFar: number,
): number {
  const retriesSoFar = Math.max(0, attemptsSoFar - 1);
  const doublings = Math.min(retriesSoFar, policy.maxDoublings);
  const lastDoubledInterval = policy.minBackoffMs * 2 ** policy.maxDoublings;
  const interval = policy.minBackoffMs * 2 ** doublings + (retriesSoFar - doublings) * lastDoubledInterval;
  return Math.min(interval, policy.maxBackoffMs);
}

/**
 * Whether a failed task must be given up. Each limit that is set must be reached: with both maxAttempts and
 * maxRetryDuration set, retrying goes on until both are exhausted; with neither, it never stops.
 */
export function retriesExhausted(
  policy: Pick<RetryPolicy, 'maxAttempts' | 'maxRetryDurationMs'>,
  attemptsSoFar: number,
  msSinceFirstAttempt: number,
): boolean {
  const limitsReached: boolean[] = [];
  if (policy.maxAttempts !== -1) limitsReached.push(attemptsSoFar >= policy.maxAttempts);
  if (policy.maxRetryDurationMs > 0) limitsReached.push(msSinceFirstAttempt >= policy.maxRetryDurationMs);
  return limitsReached.length > 0 && limitsReached.every(Boolean);
}

export async function startTasksServer(options: TasksServerOptions = {}): Promise<TasksServer> {
  const issuer = options.oidcIssuer ?? 'https://accounts.google.com';
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0 && Number.isFinite(timeScale))) throw new Error('timeScale must be a positive number');
  const engine = new TasksEngine({
    now: options.now ?? Date.now,
    timeScale,
    tombstoneTtlMs: options.tombstoneTtlMs ?? 3_600_000,
    autoCreateQueues: options.autoCreateQueues ?? true,
    signer: createOidcSigner(issuer),
  });

  const server = http.createServer((req, res) => void handleHttp(engine, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;

  return {
    url,
    port,
    jwksUrl: `${url}/oidc/jwks`,
    certsUrl: `${url}/oidc/certs`,
    issuer,
    idle: () => engine.idle(),
    attempts: (taskName) => engine.attempts(taskName),
    advanceTime: (ms) => engine.advanceTime(ms),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await engine.close();
      await closed;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Errors in Google's JSON format
// ---------------------------------------------------------------------------------------------------------

type RpcStatus =
  'INVALID_ARGUMENT' | 'NOT_FOUND' | 'ALREADY_EXISTS' | 'FAILED_PRECONDITION' | 'UNIMPLEMENTED' | 'INTERNAL';

const HTTP_STATUS_OF: Record<RpcStatus, number> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  INTERNAL: 500,
  UNIMPLEMENTED: 501,
};

class ApiError extends Error {
  constructor(
    readonly status: RpcStatus,
    message: string,
  ) {
    super(message);
  }
}

/** gax maps `error.status` to the gRPC code; without it a 409 would surface as ABORTED, not ALREADY_EXISTS. */
function errorBody(err: ApiError) {
  return { error: { code: HTTP_STATUS_OF[err.status], message: err.message, status: err.status } };
}

const invalid = (message: string) => new ApiError('INVALID_ARGUMENT', message);

// ---------------------------------------------------------------------------------------------------------
// proto3 JSON values
// ---------------------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

function asObject(value: unknown, field: string): Json {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(`${field} must be an object`);
  return value as Json;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw invalid(`${field} must be a string`);
  return value;
}

/** proto3 JSON allows int32 as a number or a decimal string; unset and 0 are the same thing. */
function optionalInt(value: unknown, field: string): number {
  if (value === undefined || value === null) return 0;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw invalid(`${field} must be an integer`);
  return n;
}

function optionalNumber(value: unknown, field: string): number {
  if (value === undefined || value === null) return 0;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw invalid(`${field} must be a number`);
  return n;
}

const DURATION = /^(-?\d+)(?:\.(\d{1,9}))?s$/;

function parseDurationMs(value: unknown, field: string): number {
  if (value === undefined || value === null || value === '') return 0;
  const match = typeof value === 'string' ? DURATION.exec(value) : null;
  if (!match) throw invalid(`${field} must be a duration like "10s" or "0.5s"`);
  const sign = match[1]?.startsWith('-') ? -1 : 1;
  const fraction = Number(`0.${match[2] ?? '0'}`);
  return sign * (Math.abs(Number(match[1])) + fraction) * 1000;
}

function formatDuration(ms: number): string {
  const millis = Math.round(ms);
  const seconds = Math.trunc(millis / 1000);
  const rest = Math.abs(millis % 1000);
  return rest === 0 ? `${seconds}s` : `${seconds}.${String(rest).padStart(3, '0')}s`;
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;

/** Epoch ms, with the sub-millisecond part kept down to the microsecond Cloud Tasks truncates to. */
function parseTimestamp(value: unknown, field: string): number {
  const match = typeof value === 'string' ? RFC3339.exec(value) : null;
  const whole = match ? Date.parse(`${match[1]}${match[3]}`) : NaN;
  if (!match || Number.isNaN(whole)) throw invalid(`${field} must be an RFC 3339 timestamp`);
  const micros = Math.trunc(Number(`0.${match[2] ?? '0'}`) * 1_000_000);
  return whole + micros / 1000;
}

function formatTimestamp(ms: number): string {
  const totalMicros = Math.round(ms * 1000);
  const micros = totalMicros % 1000;
  const iso = new Date((totalMicros - micros) / 1000).toISOString();
  return micros === 0 ? iso : iso.replace('Z', `${String(micros).padStart(3, '0')}Z`);
}

/** The X-CloudTasks-TaskETA format: seconds since the epoch with a fraction. */
function formatEta(ms: number): string {
  return (ms / 1000).toFixed(6);
}

/** The client asks for `$alt=json;enum-encoding=int`; curl users get names. */
function enumValue(names: readonly string[], name: string, numeric: boolean): string | number {
  return numeric ? names.indexOf(name) : name;
}

function enumName(names: readonly string[], value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === 0 || value === names[0]) return undefined;
  const name = typeof value === 'number' ? names[value] : value;
  if (typeof name !== 'string' || !names.includes(name)) throw invalid(`${field} has an unknown value`);
  return name;
}

const HTTP_METHODS = [
  'HTTP_METHOD_UNSPECIFIED',
  'POST',
  'GET',
  'HEAD',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
] as const;
const TASK_VIEWS = ['VIEW_UNSPECIFIED', 'BASIC', 'FULL'] as const;
const QUEUE_STATES = ['STATE_UNSPECIFIED', 'RUNNING', 'PAUSED', 'DISABLED'] as const;

// ---------------------------------------------------------------------------------------------------------
// OIDC tokens
// ---------------------------------------------------------------------------------------------------------

interface OidcSigner {
  issuer: string;
  idToken(serviceAccountEmail: string, audience: string): string;
  jwks(): { keys: object[] };
  certs(): Record<string, string>;
}

function createOidcSigner(issuer: string): OidcSigner {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const kid = createHash('sha256').update(publicPem).digest('hex').slice(0, 40);
  return {
    issuer,
    idToken: (email, audience) => signJwt(privateKey, kid, googleIdClaims(issuer, email, audience)),
    jwks: () => ({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] }),
    // Google serves X.509 certificates here; node:crypto cannot mint one, and verifiers accept an SPKI key.
    certs: () => ({ [kid]: publicPem }),
  };
}

function googleIdClaims(issuer: string, email: string, audience: string) {
  // Real wall time, not `now()`: the worker verifies exp/iat against its own clock.
  const iat = Math.floor(Date.now() / 1000);
  const subject = serviceAccountId(email);
  return {
    aud: audience,
    azp: subject,
    email,
    email_verified: true,
    exp: iat + 3600,
    iat,
    iss: issuer,
    sub: subject,
  };
}

/** Google puts the service account's numeric unique id in `sub`; derive a stable stand-in from the email. */
function serviceAccountId(email: string): string {
  const digits = BigInt(`0x${createHash('sha256').update(email).digest('hex')}`).toString();
  return `1${digits.slice(0, 20)}`;
}

function signJwt(privateKey: KeyObject, kid: string, claims: object): string {
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const signingInput = `${encode({ alg: 'RS256', kid, typ: 'JWT' })}.${encode(claims)}`;
  return `${signingInput}.${sign('RSA-SHA256', Buffer.from(signingInput), privateKey).toString('base64url')}`;
}

// ---------------------------------------------------------------------------------------------------------
// Queues and tasks
// ---------------------------------------------------------------------------------------------------------

interface RateLimits {
  maxDispatchesPerSecond: number;
  maxConcurrentDispatches: number;
}

interface QueueConfig {
  retryConfig: Json;
  rateLimits: Json;
}

interface QueueRecord {
  name: string;
  id: string;
  config: QueueConfig;
  retry: RetryPolicy;
  rate: RateLimits;
  state: 'RUNNING' | 'PAUSED';
  purgeTime?: number;
  tasks: Map<string, TaskRecord>;
  inFlight: number;
}

interface HttpTarget {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
  oidc?: { serviceAccountEmail: string; audience?: string };
}

interface AttemptInfo {
  scheduleTime: number;
  dispatchTime: number;
  responseTime?: number;
  status?: number;
  error?: string;
}

interface TaskRecord {
  name: string;
  id: string;
  target: HttpTarget;
  scheduleTime: number;
  createTime: number;
  dispatchDeadlineMs: number;
  dispatchCount: number;
  responseCount: number;
  /** Responses other than 5xx, which is what X-CloudTasks-TaskExecutionCount is documented to count. */
  executionCount: number;
  previousStatus?: number;
  firstAttempt?: AttemptInfo;
  lastAttempt?: AttemptInfo;
  /** When it becomes due, on the scaled monotonic clock. */
  dueAt: number;
  firstDispatchAt?: number;
  inFlight?: AbortController;
  /** Set by RunTask: dispatch even if the queue is paused or full. */
  forced: boolean;
}

const QUEUE_NAME = /^(projects\/[^/]+\/locations\/[^/]+)\/queues\/([^/]+)$/;
const TASK_NAME = /^(projects\/[^/]+\/locations\/[^/]+\/queues\/[^/]+)\/tasks\/([^/]+)$/;
const LOCATION_NAME = /^projects\/[^/]+\/locations\/[^/]+$/;
const QUEUE_ID = /^[A-Za-z0-9-]{1,100}$/;
const TASK_ID = /^[A-Za-z0-9_-]{1,500}$/;

const DEFAULT_RATE_LIMITS: Readonly<RateLimits> = {
  maxDispatchesPerSecond: 500,
  maxConcurrentDispatches: 1000,
};
const MAX_SCHEDULE_AHEAD_MS = 30 * 24 * 3_600_000;
const DEFAULT_DISPATCH_DEADLINE_MS = 10 * 60_000;
const MIN_DISPATCH_DEADLINE_MS = 15_000;
const MAX_DISPATCH_DEADLINE_MS = 30 * 60_000;
const MAX_TASK_BYTES = 1024 * 1024;
const MAX_PAGE_SIZE = 1000;
/** Headers Cloud Tasks computes or reserves, so a task cannot set them. */
const RESERVED_HEADER = /^(host|content-length|user-agent|x-google-.*|x-appengine-.*|x-cloudtasks-.*)$/i;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** Defaults are applied here because proto3 cannot tell an unset field from zero: 0 means "pick the default". */
function parseRetryPolicy(json: Json): RetryPolicy {
  const policy: RetryPolicy = {
    maxAttempts: optionalInt(json.maxAttempts, 'retryConfig.maxAttempts') || DEFAULT_RETRY_POLICY.maxAttempts,
    maxRetryDurationMs:
      Math.trunc(parseDurationMs(json.maxRetryDuration, 'retryConfig.maxRetryDuration') / 1000) * 1000,
    minBackoffMs:
      parseDurationMs(json.minBackoff, 'retryConfig.minBackoff') || DEFAULT_RETRY_POLICY.minBackoffMs,
    maxBackoffMs:
      parseDurationMs(json.maxBackoff, 'retryConfig.maxBackoff') || DEFAULT_RETRY_POLICY.maxBackoffMs,
    maxDoublings:
      optionalInt(json.maxDoublings, 'retryConfig.maxDoublings') || DEFAULT_RETRY_POLICY.maxDoublings,
  };
  if (policy.maxAttempts < -1) throw invalid('retryConfig.maxAttempts must be >= -1');
  if (policy.maxRetryDurationMs < 0 || policy.minBackoffMs < 0 || policy.maxDoublings < 0) {
    throw invalid('retryConfig durations and maxDoublings must not be negative');
  }
  if (policy.minBackoffMs > policy.maxBackoffMs)
    throw invalid('retryConfig.minBackoff must not exceed maxBackoff');
  return policy;
}

function parseRateLimits(json: Json): RateLimits {
  const rate: RateLimits = {
    maxDispatchesPerSecond:
      optionalNumber(json.maxDispatchesPerSecond, 'rateLimits.maxDispatchesPerSecond') ||
      DEFAULT_RATE_LIMITS.maxDispatchesPerSecond,
    maxConcurrentDispatches:
      optionalInt(json.maxConcurrentDispatches, 'rateLimits.maxConcurrentDispatches') ||
      DEFAULT_RATE_LIMITS.maxConcurrentDispatches,
  };
  if (rate.maxDispatchesPerSecond < 0 || rate.maxDispatchesPerSecond > 500) {
    throw invalid('rateLimits.maxDispatchesPerSecond must be in (0, 500]');
  }
  if (rate.maxConcurrentDispatches < 0 || rate.maxConcurrentDispatches > 5000) {
    throw invalid('rateLimits.maxConcurrentDispatches must be in [1, 5000]');
  }
  return rate;
}

function newQueue(name: string, config: QueueConfig): QueueRecord {
  const match = QUEUE_NAME.exec(name);
  const id = match?.[2] ?? '';
  if (!QUEUE_ID.test(id)) throw invalid(`Invalid queue name: ${name}`);
  return {
    name,
    id,
    config,
    retry: parseRetryPolicy(config.retryConfig),
    rate: parseRateLimits(config.rateLimits),
    state: 'RUNNING',
    tasks: new Map(),
    inFlight: 0,
  };
}

function applyQueueConfig(queue: QueueRecord, config: QueueConfig): void {
  // Parse before assigning so a rejected update leaves the queue untouched.
  const retry = parseRetryPolicy(config.retryConfig);
  const rate = parseRateLimits(config.rateLimits);
  Object.assign(queue, { config, retry, rate });
}

function queueJson(queue: QueueRecord, numericEnums: boolean): Json {
  const { retry, rate } = queue;
  return {
    name: queue.name,
    rateLimits: {
      maxDispatchesPerSecond: rate.maxDispatchesPerSecond,
      maxConcurrentDispatches: rate.maxConcurrentDispatches,
    },
    retryConfig: {
      maxAttempts: retry.maxAttempts,
      maxRetryDuration: formatDuration(retry.maxRetryDurationMs),
      minBackoff: formatDuration(retry.minBackoffMs),
      maxBackoff: formatDuration(retry.maxBackoffMs),
      maxDoublings: retry.maxDoublings,
    },
    state: enumValue(QUEUE_STATES, queue.state, numericEnums),
    ...(queue.purgeTime === undefined ? {} : { purgeTime: formatTimestamp(queue.purgeTime) }),
  };
}

/** `retry_config.max_attempts` → `retryConfig.maxAttempts`: masks arrive in proto field names. */
function camelPath(path: string): string {
  return path.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** UpdateQueue semantics: masked paths take the request's value, or the default when the request omits it. */
function maskedConfig(current: QueueConfig, requested: Json, mask: string[]): QueueConfig {
  const next: QueueConfig = {
    retryConfig: { ...current.retryConfig },
    rateLimits: { ...current.rateLimits },
  };
  for (const path of mask) {
    const [section, field, ...rest] = camelPath(path).split('.');
    if ((section !== 'retryConfig' && section !== 'rateLimits') || rest.length > 0) {
      throw invalid(`Unsupported update_mask path: ${path}`);
    }
    const value = asObject(requested[section], section);
    if (field === undefined) next[section] = value;
    else next[section][field] = value[field];
  }
  return next;
}

function parseHttpTarget(json: Json): HttpTarget {
  const url = optionalString(json.url, 'httpRequest.url');
  if (!url || !/^https?:\/\//i.test(url) || url.length > 2083 || !URL.canParse(url)) {
    throw invalid('httpRequest.url must be an absolute http(s) URL of at most 2083 characters');
  }
  const method = enumName(HTTP_METHODS, json.httpMethod, 'httpRequest.httpMethod') ?? 'POST';
  const body = Buffer.from(optionalString(json.body, 'httpRequest.body') ?? '', 'base64');
  if (body.length > 0 && !BODY_METHODS.has(method))
    throw invalid(`A body is not allowed with HTTP method ${method}`);
  if (json.oauthToken) throw new ApiError('UNIMPLEMENTED', 'oauthToken is not supported by this emulator');
  return { url, method, headers: parseHeaders(json.headers), body, oidc: parseOidcToken(json.oidcToken) };
}

function parseHeaders(value: unknown): Record<string, string> {
  const headers = asObject(value, 'httpRequest.headers');
  for (const [key, header] of Object.entries(headers)) {
    if (typeof header !== 'string') throw invalid(`httpRequest.headers.${key} must be a string`);
  }
  return headers as Record<string, string>;
}

function parseOidcToken(value: unknown): HttpTarget['oidc'] {
  if (value === undefined || value === null) return undefined;
  const json = asObject(value, 'httpRequest.oidcToken');
  const serviceAccountEmail = optionalString(json.serviceAccountEmail, 'oidcToken.serviceAccountEmail');
  if (!serviceAccountEmail) throw invalid('oidcToken.serviceAccountEmail is required');
  return { serviceAccountEmail, audience: optionalString(json.audience, 'oidcToken.audience') };
}

function taskBytes(name: string, target: HttpTarget): number {
  const headerBytes = Object.entries(target.headers).reduce((sum, [k, v]) => sum + k.length + v.length, 0);
  return Buffer.byteLength(name) + Buffer.byteLength(target.url) + headerBytes + target.body.length;
}

function attemptJson(attempt: AttemptInfo): Json {
  return {
    scheduleTime: formatTimestamp(attempt.scheduleTime),
    dispatchTime: formatTimestamp(attempt.dispatchTime),
    ...(attempt.responseTime === undefined ? {} : { responseTime: formatTimestamp(attempt.responseTime) }),
    ...(attempt.responseTime === undefined ? {} : { responseStatus: responseStatus(attempt) }),
  };
}

function responseStatus({ status, error }: AttemptInfo): Json {
  if (status === undefined) return { code: error === 'DEADLINE_EXCEEDED' ? 4 : 14, message: error ?? '' };
  return { code: rpcCodeForHttp(status), message: http.STATUS_CODES[status] ?? String(status) };
}

const RPC_CODE_FOR_HTTP: Record<number, number> = {
  400: 3,
  401: 16,
  403: 7,
  404: 5,
  409: 10,
  416: 11,
  429: 8,
  499: 1,
  500: 13,
  501: 12,
  503: 14,
  504: 4,
};

function rpcCodeForHttp(status: number): number {
  if (status >= 200 && status < 300) return 0;
  return RPC_CODE_FOR_HTTP[status] ?? (status >= 400 && status < 500 ? 9 : 2);
}

function taskJson(task: TaskRecord, full: boolean, numericEnums: boolean): Json {
  const { target } = task;
  return {
    name: task.name,
    httpRequest: {
      url: target.url,
      httpMethod: enumValue(HTTP_METHODS, target.method, numericEnums),
      headers: target.headers,
      ...(full && target.body.length > 0 ? { body: target.body.toString('base64') } : {}),
      ...(target.oidc ? { oidcToken: target.oidc } : {}),
    },
    scheduleTime: formatTimestamp(task.scheduleTime),
    createTime: formatTimestamp(task.createTime),
    dispatchDeadline: formatDuration(task.dispatchDeadlineMs),
    dispatchCount: task.dispatchCount,
    responseCount: task.responseCount,
    // Cloud Tasks keeps only the dispatch time of the first attempt.
    ...(task.firstAttempt
      ? { firstAttempt: { dispatchTime: formatTimestamp(task.firstAttempt.dispatchTime) } }
      : {}),
    ...(task.lastAttempt ? { lastAttempt: attemptJson(task.lastAttempt) } : {}),
    view: enumValue(TASK_VIEWS, full ? 'FULL' : 'BASIC', numericEnums),
  };
}

/** Real generated ids are long decimal numbers. */
function generatedTaskId(): string {
  let id = String(randomInt(1, 10));
  while (id.length < 19) id += String(randomInt(0, 10));
  return id;
}

// ---------------------------------------------------------------------------------------------------------
// Dispatching one HTTP request
// ---------------------------------------------------------------------------------------------------------

interface DispatchResult {
  status?: number;
  retryAfter?: string;
  error?: string;
}

const DEADLINE = 'DEADLINE_EXCEEDED';

function sendRequest(
  target: HttpTarget,
  headers: Record<string, string>,
  controller: AbortController,
  deadlineMs: number,
  agents: { http: http.Agent; https: https.Agent },
): Promise<DispatchResult> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => controller.abort(DEADLINE), deadlineMs);
    const settle = (result: DispatchResult) => {
      clearTimeout(timer);
      resolve(result);
    };
    const failure = () => ({ error: String(controller.signal.reason ?? 'request failed') });
    const url = new URL(target.url);
    const transport = url.protocol === 'https:' ? https : http;
    const agent = url.protocol === 'https:' ? agents.https : agents.http;
    const req = transport.request(
      url,
      { method: target.method, headers, agent, signal: controller.signal },
      (res) => {
        res.resume();
        // The deadline covers the whole response, as the worker may fail while streaming it.
        res.once('end', () => settle({ status: res.statusCode, retryAfter: res.headers['retry-after'] }));
        res.once('error', () => undefined); // reported through 'close'
        res.once('close', () =>
          settle(controller.signal.aborted ? failure() : { error: 'response interrupted' }),
        );
      },
    );
    req.once('error', (err) => settle(controller.signal.aborted ? failure() : { error: err.message }));
    req.end(target.body.length > 0 ? target.body : undefined);
  });
}

/** Retry-After is either delta-seconds or an HTTP date. */
function retryAfterMs(header: string | undefined, nowMs: number): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

// ---------------------------------------------------------------------------------------------------------
// The engine: state, scheduling and the API methods
// ---------------------------------------------------------------------------------------------------------

interface EngineOptions {
  now: () => number;
  timeScale: number;
  tombstoneTtlMs: number;
  autoCreateQueues: boolean;
  signer: OidcSigner;
}

interface ApiRequest {
  query: URLSearchParams;
  body: Json;
  numericEnums: boolean;
}

class TasksEngine {
  readonly timeScale: number;
  /** Time skipped by advanceTime, on both clocks. */
  private skippedMs = 0;
  private readonly queues = new Map<string, QueueRecord>();
  /** Insertion order is expiry order, because the TTL is fixed and the clock monotonic. */
  private readonly tombstones = new Map<string, number>();
  private readonly attemptLog = new Map<string, AttemptRecord[]>();
  private readonly running = new Set<Promise<void>>();
  private readonly idleWaiters: Array<() => void> = [];
  private readonly agents = {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({ keepAlive: true }),
  };
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: EngineOptions) {
    this.timeScale = options.timeScale;
  }

  private now(): number {
    return this.options.now() + this.skippedMs;
  }

  /** Scaled monotonic clock: 1 real ms = timeScale ms here. */
  private clock(): number {
    return performance.now() * this.timeScale + this.skippedMs;
  }

  advanceTime(ms: number): void {
    if (!Number.isSafeInteger(ms) || ms < 0) throw new Error('time moves forward by a whole number of ms');
    this.skippedMs += ms;
    this.pump();
  }

  get signer(): OidcSigner {
    return this.options.signer;
  }

  // --- queues -------------------------------------------------------------------------------------------

  listQueues(parent: string, req: ApiRequest): Json {
    if (req.query.get('filter')) throw new ApiError('UNIMPLEMENTED', 'ListQueues filters are not supported');
    const queues = [...this.queues.values()].filter((q) => q.name.startsWith(`${parent}/queues/`));
    const page = paginate(queues, req);
    return {
      queues: page.items.map((q) => queueJson(q, req.numericEnums)),
      nextPageToken: page.nextPageToken,
    };
  }

  createQueue(parent: string, req: ApiRequest): Json {
    const name = optionalString(req.body.name, 'queue.name') ?? '';
    if (QUEUE_NAME.exec(name)?.[1] !== parent) throw invalid(`Queue name must be ${parent}/queues/QUEUE_ID`);
    if (this.queues.has(name)) throw new ApiError('ALREADY_EXISTS', `Queue ${name} already exists`);
    const queue = newQueue(name, {
      retryConfig: asObject(req.body.retryConfig, 'retryConfig'),
      rateLimits: asObject(req.body.rateLimits, 'rateLimits'),
    });
    this.queues.set(name, queue);
    return queueJson(queue, req.numericEnums);
  }

  getQueue(name: string, req: ApiRequest): Json {
    return queueJson(this.queue(name), req.numericEnums);
  }

  /** Like the real UpdateQueue, this creates the queue when it does not exist. */
  updateQueue(name: string, req: ApiRequest): Json {
    const mask = (req.query.get('updateMask') ?? '').split(',').filter(Boolean);
    const queue = this.queues.get(name) ?? newQueue(name, { retryConfig: {}, rateLimits: {} });
    const paths = mask.length > 0 ? mask : ['retryConfig', 'rateLimits'];
    applyQueueConfig(queue, maskedConfig(queue.config, req.body, paths));
    this.queues.set(name, queue);
    this.pump();
    return queueJson(queue, req.numericEnums);
  }

  deleteQueue(name: string): Json {
    const queue = this.queue(name);
    for (const task of queue.tasks.values()) this.removeTask(queue, task);
    this.queues.delete(name);
    this.pump();
    return {};
  }

  purgeQueue(name: string, req: ApiRequest): Json {
    const queue = this.queue(name);
    for (const task of queue.tasks.values()) this.removeTask(queue, task);
    queue.purgeTime = this.now();
    this.pump();
    return queueJson(queue, req.numericEnums);
  }

  setQueueState(name: string, state: QueueRecord['state'], req: ApiRequest): Json {
    const queue = this.queue(name);
    queue.state = state;
    this.pump();
    return queueJson(queue, req.numericEnums);
  }

  private queue(name: string): QueueRecord {
    const queue = this.queues.get(name);
    if (!queue) throw new ApiError('NOT_FOUND', `Queue ${name} does not exist`);
    return queue;
  }

  private queueForNewTask(name: string): QueueRecord {
    const existing = this.queues.get(name);
    if (existing || !this.options.autoCreateQueues) return this.queue(name);
    const queue = newQueue(name, { retryConfig: {}, rateLimits: {} });
    this.queues.set(name, queue);
    return queue;
  }

  // --- tasks --------------------------------------------------------------------------------------------

  listTasks(parent: string, req: ApiRequest): Json {
    const full = isFullView(req.query.get('responseView'));
    const tasks = [...this.queue(parent).tasks.values()].sort((a, b) => a.scheduleTime - b.scheduleTime);
    const page = paginate(tasks, req);
    return {
      tasks: page.items.map((t) => taskJson(t, full, req.numericEnums)),
      nextPageToken: page.nextPageToken,
    };
  }

  getTask(name: string, req: ApiRequest): Json {
    const { task } = this.task(name);
    return taskJson(task, isFullView(req.query.get('responseView')), req.numericEnums);
  }

  deleteTask(name: string): Json {
    const { queue, task } = this.task(name);
    this.removeTask(queue, task);
    this.pump();
    return {};
  }

  createTask(parent: string, req: ApiRequest): Json {
    const queue = this.queueForNewTask(parent);
    const task = this.newTask(queue, asObject(req.body.task, 'task'));
    queue.tasks.set(task.name, task);
    this.pump();
    return taskJson(task, isFullView(req.body.responseView), req.numericEnums);
  }

  /** RunTask dispatches now even when the queue is paused or at its concurrency limit. */
  runTask(name: string, req: ApiRequest): Json {
    const { task } = this.task(name);
    if (!task.inFlight) {
      task.forced = true;
      task.scheduleTime = this.now();
      task.dueAt = this.clock();
      this.pump();
    }
    return taskJson(task, isFullView(req.body.responseView), req.numericEnums);
  }

  private task(name: string): { queue: QueueRecord; task: TaskRecord } {
    const queue = this.queues.get(TASK_NAME.exec(name)?.[1] ?? '');
    const task = queue?.tasks.get(name);
    if (!queue || !task) throw new ApiError('NOT_FOUND', `Task ${name} does not exist`);
    return { queue, task };
  }

  private newTask(queue: QueueRecord, json: Json): TaskRecord {
    if (json.appEngineHttpRequest)
      throw new ApiError('UNIMPLEMENTED', 'Only HTTP target tasks are supported');
    if (!json.httpRequest) throw invalid('task.httpRequest is required');
    const target = parseHttpTarget(asObject(json.httpRequest, 'httpRequest'));
    const name = this.taskName(queue, optionalString(json.name, 'task.name'));
    const now = this.now();
    const scheduleTime = this.scheduleTime(json.scheduleTime, now);
    const dispatchDeadlineMs = dispatchDeadline(json.dispatchDeadline);
    if (taskBytes(name, target) > MAX_TASK_BYTES) throw invalid('Task size exceeds the 1 MB limit');
    this.assertNameFree(name);
    return {
      name,
      id: TASK_NAME.exec(name)?.[2] ?? name,
      target,
      scheduleTime,
      createTime: Math.floor(now / 1000) * 1000,
      dispatchDeadlineMs,
      dispatchCount: 0,
      responseCount: 0,
      executionCount: 0,
      dueAt: this.clock() + (scheduleTime - now),
      forced: false,
    };
  }

  private taskName(queue: QueueRecord, requested: string | undefined): string {
    if (requested === undefined) return `${queue.name}/tasks/${generatedTaskId()}`;
    const match = TASK_NAME.exec(requested);
    if (match?.[1] !== queue.name || !TASK_ID.test(match[2] ?? '')) {
      throw invalid(`Task name must be ${queue.name}/tasks/TASK_ID with TASK_ID of [A-Za-z0-9_-]{1,500}`);
    }
    return requested;
  }

  /** Past or missing scheduleTime means now; more than 30 days ahead is refused like the real service does. */
  private scheduleTime(value: unknown, now: number): number {
    if (value === undefined || value === null) return now;
    const requested = parseTimestamp(value, 'task.scheduleTime');
    if (requested - now > MAX_SCHEDULE_AHEAD_MS)
      throw invalid('task.scheduleTime must be at most 30 days ahead');
    return Math.max(requested, now);
  }

  private assertNameFree(name: string): void {
    this.expireTombstones();
    const taken =
      this.tombstones.has(name) || this.queues.get(TASK_NAME.exec(name)?.[1] ?? '')?.tasks.has(name);
    if (taken) throw new ApiError('ALREADY_EXISTS', `Requested entity already exists: ${name}`);
  }

  private expireTombstones(): void {
    const now = this.clock();
    for (const [name, expiresAt] of this.tombstones) {
      if (expiresAt > now) break;
      this.tombstones.delete(name);
    }
  }

  private removeTask(queue: QueueRecord, task: TaskRecord): void {
    queue.tasks.delete(task.name);
    this.tombstones.delete(task.name);
    this.tombstones.set(task.name, this.clock() + this.options.tombstoneTtlMs);
  }

  // --- scheduling ---------------------------------------------------------------------------------------

  /** Re-evaluates everything after any change; cheap enough for the task counts of a test or a laptop. */
  private pump(): void {
    if (this.closed) return;
    const now = this.clock();
    for (const queue of this.queues.values()) this.dispatchDue(queue, now);
    this.armTimer(now);
    this.settleIdleWaiters();
  }

  private dispatchDue(queue: QueueRecord, now: number): void {
    const due = [...queue.tasks.values()]
      .filter((t) => !t.inFlight && t.dueAt <= now && (t.forced || queue.state === 'RUNNING'))
      .sort((a, b) => a.dueAt - b.dueAt);
    for (const task of due) {
      if (!task.forced && queue.inFlight >= queue.rate.maxConcurrentDispatches) continue;
      this.track(this.attempt(queue, task));
    }
  }

  private armTimer(now: number): void {
    clearTimeout(this.timer);
    let next = Infinity;
    for (const queue of this.queues.values()) {
      if (queue.state !== 'RUNNING') continue;
      for (const task of queue.tasks.values())
        if (!task.inFlight && task.dueAt > now) next = Math.min(next, task.dueAt);
    }
    if (next === Infinity) return;
    // Rounding up avoids a spin of zero-length timers when the timer fires a fraction early.
    this.timer = setTimeout(() => this.pump(), Math.ceil((next - now) / this.timeScale));
    this.timer.unref();
  }

  private track(run: Promise<void>): void {
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  private async attempt(queue: QueueRecord, task: TaskRecord): Promise<void> {
    const started = this.beginAttempt(queue, task);
    const headers = this.dispatchHeaders(queue, task, started.retryCount);
    const controller = new AbortController();
    task.inFlight = controller;
    const result = await sendRequest(
      task.target,
      headers,
      controller,
      task.dispatchDeadlineMs / this.timeScale,
      this.agents,
    );
    queue.inFlight -= 1;
    task.inFlight = undefined;
    const live = !this.closed && this.queues.get(queue.name) === queue && queue.tasks.get(task.name) === task;
    // A task deleted or purged mid-flight still got its request; only the outcome is ignored, as in Cloud Tasks.
    if (live) this.finishAttempt(queue, task, started.info, result);
    else this.logAttempt(task, started.info, result, 'abandoned');
    this.pump();
  }

  private beginAttempt(queue: QueueRecord, task: TaskRecord) {
    const retryCount = task.dispatchCount;
    const info: AttemptInfo = { scheduleTime: task.scheduleTime, dispatchTime: this.now() };
    queue.inFlight += 1;
    task.dispatchCount += 1;
    task.forced = false;
    task.firstDispatchAt ??= this.clock();
    task.firstAttempt ??= info;
    task.lastAttempt = info;
    return { retryCount, info };
  }

  private dispatchHeaders(queue: QueueRecord, task: TaskRecord, retryCount: number): Record<string, string> {
    const { target } = task;
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(target.headers)) {
      const replacedByToken = target.oidc && key.toLowerCase() === 'authorization';
      if (!RESERVED_HEADER.test(key) && !replacedByToken) headers[key] = value;
    }
    Object.assign(headers, {
      'User-Agent': 'Google-Cloud-Tasks',
      'X-CloudTasks-QueueName': queue.id,
      'X-CloudTasks-TaskName': task.id,
      'X-CloudTasks-TaskRetryCount': String(retryCount),
      'X-CloudTasks-TaskExecutionCount': String(task.executionCount),
      'X-CloudTasks-TaskETA': formatEta(task.scheduleTime),
    });
    if (task.previousStatus !== undefined)
      headers['X-CloudTasks-TaskPreviousResponse'] = String(task.previousStatus);
    if (BODY_METHODS.has(target.method)) headers['Content-Length'] = String(target.body.length);
    if (target.oidc) {
      const audience = target.oidc.audience ?? target.url;
      headers.Authorization = `Bearer ${this.signer.idToken(target.oidc.serviceAccountEmail, audience)}`;
    }
    return headers;
  }

  private finishAttempt(
    queue: QueueRecord,
    task: TaskRecord,
    info: AttemptInfo,
    result: DispatchResult,
  ): void {
    info.responseTime = this.now();
    Object.assign(info, result.status === undefined ? { error: result.error } : { status: result.status });
    task.previousStatus = result.status;
    if (result.status !== undefined) {
      task.responseCount += 1;
      if (result.status < 500) task.executionCount += 1;
    }
    if (result.status !== undefined && result.status >= 200 && result.status < 300) {
      this.removeTask(queue, task);
      this.logAttempt(task, info, result, 'succeeded');
      return;
    }
    if (retriesExhausted(queue.retry, task.dispatchCount, this.clock() - (task.firstDispatchAt ?? 0))) {
      this.removeTask(queue, task);
      this.logAttempt(task, info, result, 'gave-up');
      return;
    }
    const delay = this.retryDelay(queue.retry, task.dispatchCount, result, info.responseTime);
    task.scheduleTime = info.responseTime + delay;
    task.dueAt = this.clock() + delay;
    this.logAttempt(task, info, result, 'will-retry', delay);
  }

  /** 429 and 503 are how a worker asks for room; a longer Retry-After wins over the backoff. */
  private retryDelay(
    policy: RetryPolicy,
    attemptsSoFar: number,
    result: DispatchResult,
    nowMs: number,
  ): number {
    const backoff = nextRetryDelayMs(policy, attemptsSoFar);
    if (result.status !== 429 && result.status !== 503) return backoff;
    return Math.max(backoff, retryAfterMs(result.retryAfter, nowMs) ?? 0);
  }

  private logAttempt(
    task: TaskRecord,
    info: AttemptInfo,
    result: DispatchResult,
    outcome: AttemptOutcome,
    nextDelayMs?: number,
  ): void {
    const log = this.attemptLog.get(task.name) ?? [];
    this.attemptLog.set(task.name, log);
    log.push({
      attempt: task.dispatchCount,
      scheduleTime: info.scheduleTime,
      dispatchTime: info.dispatchTime,
      responseTime: info.responseTime ?? this.now(),
      ...(result.status === undefined ? { error: result.error } : { status: result.status }),
      outcome,
      ...(nextDelayMs === undefined ? {} : { nextDelayMs }),
    });
  }

  // --- test hooks ---------------------------------------------------------------------------------------

  attempts(taskName: string): AttemptRecord[] {
    const key = taskName.includes('/')
      ? taskName
      : [...this.attemptLog.keys()].find((name) => name.endsWith(`/tasks/${taskName}`));
    return (key ? (this.attemptLog.get(key) ?? []) : []).map((record) => ({ ...record }));
  }

  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.settleIdleWaiters();
    });
  }

  private isIdle(): boolean {
    if (this.closed) return true;
    for (const queue of this.queues.values()) {
      for (const task of queue.tasks.values()) {
        if (task.inFlight || task.forced || queue.state === 'RUNNING') return false;
      }
    }
    return true;
  }

  private settleIdleWaiters(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (const queue of this.queues.values()) {
      for (const task of queue.tasks.values()) task.inFlight?.abort('server closed');
    }
    await Promise.allSettled([...this.running]);
    this.agents.http.destroy();
    this.agents.https.destroy();
    this.settleIdleWaiters();
  }
}

function dispatchDeadline(value: unknown): number {
  const ms = parseDurationMs(value, 'task.dispatchDeadline');
  if (ms === 0) return DEFAULT_DISPATCH_DEADLINE_MS;
  if (ms < MIN_DISPATCH_DEADLINE_MS || ms > MAX_DISPATCH_DEADLINE_MS) {
    throw invalid('task.dispatchDeadline must be between 15s and 1800s');
  }
  return ms;
}

function isFullView(value: unknown): boolean {
  return value === 'FULL' || value === 2 || value === '2';
}

/** Page tokens are plain offsets: fine for a single-process server whose lists change slowly. */
function paginate<T>(items: T[], req: ApiRequest): { items: T[]; nextPageToken: string } {
  const size = Number(req.query.get('pageSize') ?? 0) || MAX_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE)
    throw invalid('pageSize must be in [0, 1000]');
  const offset = Number(req.query.get('pageToken') || 0);
  if (!Number.isInteger(offset) || offset < 0) throw invalid('Invalid pageToken');
  const end = offset + size;
  return { items: items.slice(offset, end), nextPageToken: end < items.length ? String(end) : '' };
}

// ---------------------------------------------------------------------------------------------------------
// HTTP front door
// ---------------------------------------------------------------------------------------------------------

type Kind = 'queues' | 'queue' | 'tasks' | 'task';
type Handler = (engine: TasksEngine, resource: string, req: ApiRequest) => Json;

/** The google.api.http rules of CloudTasks v2, keyed by method, resource kind and custom verb. */
const ROUTES: Record<string, Handler> = {
  'GET queues': (e, parent, req) => e.listQueues(parent, req),
  'POST queues': (e, parent, req) => e.createQueue(parent, req),
  'GET queue': (e, name, req) => e.getQueue(name, req),
  'PATCH queue': (e, name, req) => e.updateQueue(name, req),
  'DELETE queue': (e, name) => e.deleteQueue(name),
  'POST queue:purge': (e, name, req) => e.purgeQueue(name, req),
  'POST queue:pause': (e, name, req) => e.setQueueState(name, 'PAUSED', req),
  'POST queue:resume': (e, name, req) => e.setQueueState(name, 'RUNNING', req),
  'GET tasks': (e, parent, req) => e.listTasks(parent, req),
  'POST tasks': (e, parent, req) => e.createTask(parent, req),
  'GET task': (e, name, req) => e.getTask(name, req),
  'DELETE task': (e, name) => e.deleteTask(name),
  'POST task:run': (e, name, req) => e.runTask(name, req),
};

/** Splits `/v2/<resource>[:verb]` into the decoded resource path, its kind and the verb. */
function parseResourcePath(pathname: string): { resource: string; kind: Kind; verb: string } {
  const raw = pathname.slice('/v2/'.length);
  const verbAt = raw.lastIndexOf(':');
  const hasVerb = verbAt > raw.lastIndexOf('/');
  const resource = (hasVerb ? raw.slice(0, verbAt) : raw).split('/').map(decodeSegment).join('/');
  const verb = hasVerb ? raw.slice(verbAt) : '';
  const collection = /^(.*)\/(queues|tasks)$/.exec(resource);
  if (collection?.[2] === 'queues' && LOCATION_NAME.test(collection[1] ?? '')) {
    return { resource: collection[1] ?? '', kind: 'queues', verb };
  }
  if (collection?.[2] === 'tasks' && QUEUE_NAME.test(collection[1] ?? '')) {
    return { resource: collection[1] ?? '', kind: 'tasks', verb };
  }
  if (QUEUE_NAME.test(resource)) return { resource, kind: 'queue', verb };
  if (TASK_NAME.test(resource)) return { resource, kind: 'task', verb };
  throw new ApiError('NOT_FOUND', `Unknown resource path: ${pathname}`);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalid(`Malformed path segment: ${segment}`);
  }
}

const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

async function readJsonBody(req: http.IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
  }
  if (size > MAX_REQUEST_BYTES) throw invalid('Request payload is too large');
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    return asObject(JSON.parse(text), 'request body');
  } catch (err) {
    throw err instanceof ApiError ? err : invalid('Request body is not valid JSON');
  }
}

function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: http.OutgoingHttpHeaders = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=UTF-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function oidcDocument(engine: TasksEngine, pathname: string, origin: string): unknown {
  switch (pathname) {
    case '/oidc/jwks':
      return engine.signer.jwks();
    case '/oidc/certs':
      return engine.signer.certs();
    case '/.well-known/openid-configuration':
      return {
        issuer: engine.signer.issuer,
        jwks_uri: `${origin}/oidc/jwks`,
        id_token_signing_alg_values_supported: ['RS256'],
        subject_types_supported: ['public'],
        response_types_supported: ['id_token'],
      };
    default:
      return undefined;
  }
}

async function handleHttp(
  engine: TasksEngine,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const document = req.method === 'GET' ? oidcDocument(engine, url.pathname, url.origin) : undefined;
    if (document !== undefined)
      return sendJson(res, 200, document, { 'Cache-Control': 'public, max-age=3600' });
    if (!url.pathname.startsWith('/v2/')) throw new ApiError('NOT_FOUND', `Unknown path: ${url.pathname}`);
    const { resource, kind, verb } = parseResourcePath(url.pathname);
    const handler = ROUTES[`${req.method} ${kind}${verb}`];
    if (!handler) throw new ApiError('NOT_FOUND', `No method ${req.method} ${url.pathname}`);
    const apiRequest: ApiRequest = {
      query: url.searchParams,
      body: await readJsonBody(req),
      numericEnums: (url.searchParams.get('$alt') ?? '').includes('enum-encoding=int'),
    };
    sendJson(res, 200, handler(engine, resource, apiRequest));
  } catch (err) {
    const apiError = err instanceof ApiError ? err : new ApiError('INTERNAL', String(err));
    if (!res.headersSent) sendJson(res, HTTP_STATUS_OF[apiError.status], errorBody(apiError));
  }
}

// ---------------------------------------------------------------------------------------------------------
// `tsx local-servers/tasks.ts` runs it standalone (TASKS_EMULATOR_HOST / TASKS_EMULATOR_PORT).
// ---------------------------------------------------------------------------------------------------------

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await startTasksServer({
    host: process.env.TASKS_EMULATOR_HOST ?? '127.0.0.1',
    port: Number(process.env.TASKS_EMULATOR_PORT ?? 8123),
  });
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
