import type { Request, Response } from '@google-cloud/functions-framework';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError, retryLater } from '../../functions/src/domain/errors.js';
import { MAX_ISSUES_LISTED, zodIssues } from '../../functions/src/domain/errors.js';
import { toHttpError } from '../../functions/src/http/errors.js';
import { httpFunction } from '../../functions/src/http/router.js';
import { configureLogs } from '../../functions/src/log.js';
import { CrmError, type CrmFailureKind } from '../../functions/src/ports/crm.js';

/** Serves one route that throws `error`, as the framework would, and returns what was answered. */
async function answerWhenThrowing(error: unknown) {
  const handler = httpFunction('demo-project', [
    {
      method: 'POST',
      path: '/v1/tasks/thing',
      handle: () => {
        throw error;
      },
    },
  ]);
  const answered: { status?: number; headers: Record<string, string>; body?: unknown } = { headers: {} };
  const req = { method: 'POST', path: '/v1/tasks/thing', header: () => undefined } as unknown as Request;
  const res = {
    headersSent: false,
    setHeader(name: string, value: string) {
      answered.headers[name.toLowerCase()] = value;
      return this;
    },
    status(code: number) {
      answered.status = code;
      return this;
    },
    json(body: unknown) {
      answered.body = body;
      return this;
    },
  } as unknown as Response;
  await handler(req, res);
  return answered;
}

describe('errors as HTTP answers, in one place', () => {
  it('when a route throws an error that says how long to wait, then the answer carries Retry-After with its status and body', async () => {
    configureLogs({ sink: () => {} });
    const answered = await answerWhenThrowing(
      retryLater('request_limit_exceeded', { slowDown: true, retryAfterSeconds: 120 }),
    );
    expect(answered).toEqual({
      status: 429,
      headers: { 'retry-after': '120' },
      body: {
        error: {
          code: 'retry_later',
          message: 'Try this task again later.',
          details: { reason: 'request_limit_exceeded' },
        },
      },
    });
  });

  it('when an error carries no header, then the answer adds none', async () => {
    configureLogs({ sink: () => {} });
    const answered = await answerWhenThrowing(new AppError('conflict', 409, 'Taken.'));
    expect(answered.status).toBe(409);
    expect(answered.headers).toEqual({});
  });

  it('when a CRM failure escapes, then it answers 503 if a later try may succeed and 502 if not, with its kind and reason', () => {
    const statuses: Record<CrmFailureKind, number> = {
      not_acknowledged: 503,
      limit_reached: 503,
      too_large: 503,
      permanent: 502,
    };
    for (const [kind, status] of Object.entries(statuses) as [CrmFailureKind, number][]) {
      expect(toHttpError(new CrmError({ kind, reason: 'some_reason' }))).toEqual({
        status,
        body: {
          error: {
            code: `crm_${kind}`,
            message: `The CRM upload failed: ${kind} (some_reason).`,
            details: { kind, reason: 'some_reason' },
          },
        },
      });
    }
  });
});

describe('validation problems in an answer', () => {
  it('when a request breaks a rule thousands of times, then the answer lists 20 problems, the last saying how many more', () => {
    const result = z
      .array(z.string())
      .max(5000)
      .safeParse(Array.from({ length: 4000 }, (_, i) => i));
    const issues = zodIssues(result.error!);
    expect(issues).toHaveLength(MAX_ISSUES_LISTED);
    expect(issues.slice(0, -1).map((i) => i.path)).toEqual(Array.from({ length: 19 }, (_, i) => String(i)));
    expect(issues.at(-1)).toEqual({
      path: '(root)',
      message: '3981 more problems are not listed',
      code: 'too_many_issues',
    });
  });

  it('when a request breaks 20 rules or fewer, then each is listed', () => {
    const result = z.array(z.string()).safeParse(Array.from({ length: 20 }, (_, i) => i));
    expect(zodIssues(result.error!).map((i) => i.path)).toEqual(
      Array.from({ length: 20 }, (_, i) => String(i)),
    );
  });
});
