import { invalidRequest } from '../domain/errors.js';

const DAY_MS = 86_400_000;

export interface InstantWindow {
  /** How far ahead of now the instant may be. */
  aheadMs: number;
  /** How far behind now it may be. */
  behindMs: number;
  /** Said to the caller when the instant is outside, e.g. "within 100 years of now". */
  description: string;
}

/**
 * The latest presence report by its time wins, so one stamped ahead would outrank every real report
 * after it: no more ahead than the platform's clock may drift. Old reports are harmless (a later one
 * outranks them) and are answered `applied: false`.
 */
export const PRESENCE_WINDOW: InstantWindow = {
  aheadMs: 5 * 60_000,
  behindMs: 100 * 366 * DAY_MS,
  description: 'no more than 5 minutes ahead of now and within 100 years of it',
};

/** The instant of an ISO date-time a caller sent (at `path` of `what`), or a 400 when it is out of its window. */
export function instantWithin(
  value: string,
  now: Date,
  window: InstantWindow,
  what: string,
  path: string,
): Date {
  const at = Date.parse(value);
  if (!(at <= now.getTime() + window.aheadMs && at >= now.getTime() - window.behindMs))
    throw invalidRequest(`${what} is not valid.`, [
      { path, message: `must be ${window.description}`, code: 'out_of_range' },
    ]);
  return new Date(at);
}
