import { describe, expect, it } from 'vitest';
import { answer } from '../../functions/src/http/recording-worker.js';

/** What the worker tells Cloud Tasks (REC-2): 2xx acknowledges; 429 and 503 are retried, honouring Retry-After. */
describe('the worker’s answers to the queue', () => {
  it('when a task is done, then it is acknowledged with a 200', () => {
    expect(answer({ outcome: 'done' })).toMatchObject({ status: 200 });
  });

  it('when the CRM’s API limit is reached, then 429 with the wait the CRM asked for', () => {
    const result = answer({
      outcome: 'retry',
      slowDown: true,
      retryAfterSeconds: 300,
      reason: 'request_limit_exceeded',
    });
    expect(result.status).toBe(429);
    expect(result.headers).toEqual({ 'retry-after': '300' });
  });

  it('when the CRM did not acknowledge, then 503, and the queue’s own backoff when no wait is known', () => {
    const result = answer({ outcome: 'retry', slowDown: false, reason: 'timeout' });
    expect(result.status).toBe(503);
    expect(result.headers).toEqual({});
    expect(result.body).toMatchObject({ error: { code: 'retry_later', details: { reason: 'timeout' } } });
  });
});
