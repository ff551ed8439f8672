import { CrmError, type CrmFailureKind } from '../../ports/crm.js';

/**
 * Salesforce answers → CrmError (REC-2: retry exactly when the CRM did not acknowledge, its API limit
 * was reached, or the file is too large for it). Reasons are Salesforce's error codes in lower case,
 * or the adapter's own (`timeout`, `econnreset`, `http_503`…): never a message, which may quote data.
 */

/** Used when the org's API limit is spent and the answer says nothing about when to come back. */
export const DEFAULT_LIMIT_RETRY_AFTER_SECONDS = 300;

const LIMIT_CODES = new Set(['REQUEST_LIMIT_EXCEEDED']);

const TOO_LARGE_CODES = new Set([
  'STORAGE_LIMIT_EXCEEDED',
  'FILE_SIZE_LIMIT_EXCEEDED',
  'EXCEEDED_MAX_SIZE_REQUEST',
  'MAXIMUM_SIZE_OF_DOCUMENT',
  'MAXIMUM_SIZE_OF_ATTACHMENT',
  'REQUEST_ENTITY_TOO_LARGE',
]);

/** The CRM was there but did not take the request: nothing was stored, a later try may succeed. */
const NOT_ACKNOWLEDGED_CODES = new Set([
  'SERVER_UNAVAILABLE',
  'UNABLE_TO_LOCK_ROW',
  'REQUEST_RUNNING_TOO_LONG',
  'QUERY_TIMEOUT',
]);

/** Transport failures: the request may or may not have reached the CRM; we have no answer. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/**
 * Refusals that nearly always pass: the token endpoint's `invalid_grant` comes and goes in
 * Salesforce incidents, and a 401 is only ever classified after a refresh, when the new session was
 * refused too (it expired again, or another refresh replaced it). Revoked credentials look the same,
 * so they are retried within a budget (FailureCourse `may_heal`), then taken as permanent.
 */
const MAY_HEAL_CODES = new Set(['invalid_grant', 'INVALID_SESSION_ID']);

const failure = (kind: CrmFailureKind, reason: string, retryAfterSeconds?: number) =>
  new CrmError({ kind, reason, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) });

export const notAcknowledged = (reason: string) => failure('not_acknowledged', reason);
export const permanent = (reason: string) => failure('permanent', reason);
/** Not acknowledged, and retried within a budget only (see MAY_HEAL_CODES). */
export const mayHeal = (reason: string) => new CrmError({ kind: 'not_acknowledged', reason, mayHeal: true });

const reasonOf = (code: string) =>
  code
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .slice(0, 80);

/** `Retry-After: <seconds>` or `Retry-After: <HTTP date>`, in whole seconds from now. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

/** `Sforce-Limit-Info: api-usage=18/15000` (other usages may follow, comma-separated). */
export function parseLimitInfo(value: string | undefined): { used: number; max: number } | undefined {
  const m = value?.match(/api-usage=(\d+)\/(\d+)/);
  return m ? { used: Number(m[1]), max: Number(m[2]) } : undefined;
}

/** Salesforce's REST errors are `[{errorCode, message, fields}]`; OAuth errors `{error, error_description}`. */
export function errorCodeIn(body: string, contentType: string | undefined): string | undefined {
  if (!/json/i.test(contentType ?? '') && !/^\s*[[{]/.test(body)) return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    const first: unknown = Array.isArray(parsed) ? parsed[0] : parsed;
    if (first && typeof first === 'object') {
      const { errorCode, error } = first as { errorCode?: unknown; error?: unknown };
      if (typeof errorCode === 'string') return errorCode;
      if (typeof error === 'string') return error;
    }
  } catch {
    // Not JSON after all: treated as a page without an error code.
  }
  return undefined;
}

/**
 * A failed answer to a request that was sent with a valid (or just refreshed) session.
 * `retryAfterSeconds`: the answer's Retry-After, when it had one (see parseRetryAfter).
 */
export function failureFromAnswer(
  status: number,
  errorCode: string | undefined,
  retryAfterSeconds: number | undefined,
  limitRetryAfterSeconds = DEFAULT_LIMIT_RETRY_AFTER_SECONDS,
): CrmError {
  if ((errorCode && LIMIT_CODES.has(errorCode)) || status === 429)
    return failure(
      'limit_reached',
      reasonOf(errorCode ?? `http_${status}`),
      retryAfterSeconds ?? limitRetryAfterSeconds,
    );
  if (status === 413 || (errorCode && TOO_LARGE_CODES.has(errorCode)))
    return failure('too_large', reasonOf(errorCode ?? `http_${status}`));
  if (status === 401 || (errorCode && MAY_HEAL_CODES.has(errorCode)))
    return mayHeal(reasonOf(errorCode ?? 'invalid_session_id'));
  if (errorCode && NOT_ACKNOWLEDGED_CODES.has(errorCode)) return notAcknowledged(reasonOf(errorCode));
  if (status >= 500 || status === 408) return notAcknowledged(reasonOf(errorCode ?? `http_${status}`));
  // An HTML or empty error page in front of the API (a proxy, maintenance): the CRM never answered.
  if (!errorCode && status !== 404) return notAcknowledged(`http_${status}`);
  return permanent(reasonOf(errorCode ?? `http_${status}`));
}

/** A transport failure (no answer at all): the CRM did not acknowledge. */
export function failureFromNetwork(error: unknown): CrmError | undefined {
  if (error instanceof CrmError) return error;
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (error.name === 'AbortError' || error.name === 'TimeoutError' || error.message === 'Request Timeout')
    return notAcknowledged('timeout');
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return notAcknowledged(reasonOf(code));
  if (error.name === 'FetchError' || /socket hang up/i.test(error.message))
    return notAcknowledged(typeof code === 'string' ? reasonOf(code) : 'connection_lost');
  return undefined;
}

/**
 * An error thrown by jsforce: `HttpApiError` (`errorCode`, `ERROR_HTTP_<status>` for pages without
 * one, no HTTP status), OAuth errors named after their `error`, node-fetch errors, time-outs.
 * Anything else is not a CRM failure and is returned as undefined, for the caller to rethrow.
 */
export function failureFromJsforce(
  error: unknown,
  limitRetryAfterSeconds = DEFAULT_LIMIT_RETRY_AFTER_SECONDS,
): CrmError | undefined {
  const network = failureFromNetwork(error);
  if (network) return network;
  if (!(error instanceof Error)) return undefined;
  const raw = (error as { errorCode?: unknown }).errorCode;
  const code = typeof raw === 'string' ? raw : error.name;
  const http = /^ERROR_HTTP_(\d{3})$/.exec(code);
  if (http) return failureFromAnswer(Number(http[1]), undefined, undefined, limitRetryAfterSeconds);
  if (code === 'INVALID_SESSION_ID') return mayHeal('invalid_session_id');
  if (/^[A-Z][A-Z0-9_]+$/.test(code) || /^[a-z][a-z0-9_]+$/.test(code))
    // A Salesforce error code or an OAuth error (invalid_grant, invalid_client…); status unknown.
    return failureFromAnswer(400, code, undefined, limitRetryAfterSeconds);
  return undefined;
}
