import type { z } from 'zod';

/**
 * The one error type of the system. `code` is stable (clients may switch on it), `status` is the HTTP
 * status it maps to, `message` is safe to show to the caller (never PII, never a secret), and
 * `details` carries structured, equally safe data such as validation issues. `headers` go with the
 * answer when the status alone does not say enough (how long to wait before retrying).
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export interface ValidationIssue {
  path: string;
  message: string;
  code: string;
}

/**
 * The most problems an answer or a log line lists: enough to mend a request, bounded whatever was sent.
 * When there are more, the last one says how many are left out.
 */
export const MAX_ISSUES_LISTED = 20;

export function zodIssues(error: z.ZodError): ValidationIssue[] {
  const shown = (i: z.core.$ZodIssue): ValidationIssue => ({
    path: i.path.join('.') || '(root)',
    message: i.message,
    code: i.code,
  });
  if (error.issues.length <= MAX_ISSUES_LISTED) return error.issues.map(shown);
  const listed = error.issues.slice(0, MAX_ISSUES_LISTED - 1).map(shown);
  return [
    ...listed,
    {
      path: '(root)',
      message: `${error.issues.length - listed.length} more problems are not listed`,
      code: 'too_many_issues',
    },
  ];
}

export const invalidRequest = (message: string, issues: ValidationIssue[] = []) =>
  new AppError('invalid_request', 400, message, { issues });

export const unauthenticated = (reason: string) =>
  new AppError('unauthenticated', 401, 'The request could not be authenticated.', { reason });

/** `more` adds to the reason what the caller may act on, such as the permission that is missing. */
export const forbidden = (
  reason: string,
  message = 'You are not allowed to do this.',
  more: Record<string, unknown> = {},
) => new AppError('forbidden', 403, message, { reason, ...more });

export const notFound = (what: string) => new AppError('not_found', 404, `${what} was not found.`);

/** `more` adds to the reason what the caller needs to resolve it, such as the state it conflicts with. */
export const conflict = (reason: string, message: string, more: Record<string, unknown> = {}) =>
  new AppError('conflict', 409, message, { reason, ...more });

/** A dependency is briefly unavailable: the caller should retry later. */
export const unavailable = (message = 'A dependency is briefly unavailable; retry later.') =>
  new AppError('unavailable', 503, message);

/**
 * The caller (a task queue) should try again later: 503, or 429 when it should also slow down.
 * Retry-After says how long when that is known; otherwise the queue's own backoff applies.
 */
export const retryLater = (reason: string, wait: { slowDown: boolean; retryAfterSeconds?: number }) =>
  new AppError(
    'retry_later',
    wait.slowDown ? 429 : 503,
    'Try this task again later.',
    { reason },
    wait.retryAfterSeconds !== undefined ? { 'retry-after': String(wait.retryAfterSeconds) } : {},
  );

/** A service we depend on (the CRM) failed: 503 when a later try may succeed, 502 when it refused for good. */
export const dependencyFailureStatus = (retryable: boolean) => (retryable ? 503 : 502);
