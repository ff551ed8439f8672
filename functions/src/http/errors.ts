import { z } from 'zod';
import { AppError, invalidRequest, zodIssues } from '../domain/errors.js';

/** A `\u` escape of a UTF-16 surrogate: the only way a lone one gets into a body read as UTF-8. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * A raw request body as JSON, or a 400. Strings (and keys) must be valid Unicode: a lone surrogate
 * parses, but Firestore refuses to store it, so it is refused here, for every route at once.
 */
export function parseJsonBody(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  let loneSurrogate = false;
  let parsed: unknown;
  try {
    parsed = SURROGATE_ESCAPE.test(text)
      ? JSON.parse(text, (key, value: unknown) => {
          if (LONE_SURROGATE.test(key) || (typeof value === 'string' && LONE_SURROGATE.test(value)))
            loneSurrogate = true;
          return value;
        })
      : JSON.parse(text);
  } catch {
    throw invalidRequest('The body is not valid JSON.');
  }
  if (loneSurrogate)
    throw invalidRequest('The body is not valid Unicode: a string holds a lone surrogate (\\ud800-\\udfff).');
  return parsed;
}

/** Parses `input` with `schema`, or throws a 400 that lists every problem. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw invalidRequest(`${what} is not valid.`, zodIssues(parsed.error));
  return parsed.data;
}

export interface HttpErrorResponse {
  status: number;
  /** Only when the error carries some (Retry-After). */
  headers?: Record<string, string>;
  body: { error: { code: string; message: string; details?: unknown } };
}

/** The one place where errors become HTTP answers. Anything unexpected is a 500 that reveals nothing. */
export function toHttpError(error: unknown): HttpErrorResponse {
  if (error instanceof AppError) {
    const body: HttpErrorResponse['body'] = { error: { code: error.code, message: error.message } };
    if (error.details !== undefined) body.error.details = error.details;
    const headers = Object.keys(error.headers).length > 0 ? { headers: { ...error.headers } } : {};
    return { status: error.status, ...headers, body };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'Something went wrong on our side.' } } };
}
