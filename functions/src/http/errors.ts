import { z } from 'zod';
import { AppError, invalidRequest, type ValidationIssue } from '../domain/errors.js';

export function zodIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message, code: i.code }));
}

/** A raw request body as JSON, or a 400. */
export function parseJsonBody(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw invalidRequest('The body is not valid JSON.');
  }
}

/** Parses `input` with `schema`, or throws a 400 that lists every problem. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw invalidRequest(`${what} is not valid.`, zodIssues(parsed.error));
  return parsed.data;
}

export interface HttpErrorResponse {
  status: number;
  body: { error: { code: string; message: string; details?: unknown } };
}

/** The one place where errors become HTTP answers. Anything unexpected is a 500 that reveals nothing. */
export function toHttpError(error: unknown): HttpErrorResponse {
  if (error instanceof AppError) {
    const body: HttpErrorResponse['body'] = { error: { code: error.code, message: error.message } };
    if (error.details !== undefined) body.error.details = error.details;
    return { status: error.status, body };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'Something went wrong on our side.' } } };
}
