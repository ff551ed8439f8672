/**
 * The one error type of the system. `code` is stable (clients may switch on it), `status` is the HTTP
 * status it maps to, `message` is safe to show to the caller (never PII, never a secret), and
 * `details` carries structured, equally safe data such as validation issues.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: unknown,
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
