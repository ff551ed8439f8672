import { create, type Domain } from 'node:domain';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Request, Response } from '@google-cloud/functions-framework';
import { outsideRequestDomain } from '../../functions/src/http/outside-request-domain.js';
import { httpFunction } from '../../functions/src/http/router.js';

const activeDomain = () => (process as { domain?: Domain | null }).domain ?? undefined;

/** Runs `body` inside a fresh domain, as the functions framework runs each request. */
function inRequestDomain<T>(body: (d: Domain) => Promise<T>): Promise<T> {
  const d = create();
  return new Promise<T>((resolve, reject) => {
    d.on('error', reject);
    d.run(() => void body(d).then(resolve, reject));
  });
}

describe('streaming outside the request domain', () => {
  it('when work runs outside the request domain, then neither it nor what it starts is in a domain, and the handler is again after it', async () => {
    const seen = await inRequestDomain(async (d) => {
      const inside = await outsideRequestDomain(async () => {
        const atStart = activeDomain();
        await sleep(1);
        const afterTimer = activeDomain();
        const inCallback = await new Promise((resolve) => setImmediate(() => resolve(activeDomain())));
        return { atStart, afterTimer, inCallback };
      });
      return { inside, handlerAfter: activeDomain() === d };
    });
    expect(seen.inside).toEqual({ atStart: undefined, afterTimer: undefined, inCallback: undefined });
    expect(seen.handlerAfter).toBe(true);
  });

  it('when the work fails, then its promise rejects and the request domain is still the active one', async () => {
    const outcome = await inRequestDomain(async (d) => {
      const failure = await outsideRequestDomain(async () => {
        await sleep(1);
        throw new Error('the CRM went away');
      }).catch((error: unknown) => (error as Error).message);
      return { failure, handlerAfter: activeDomain() === d };
    });
    expect(outcome).toEqual({ failure: 'the CRM went away', handlerAfter: true });
  });

  it('when there is no domain, then the work simply runs', async () => {
    expect(await outsideRequestDomain(async () => 42)).toBe(42);
  });

  it('when the framework calls an HTTP function in its request domain, then the route runs outside it and still answers', async () => {
    const handler = httpFunction('demo-project', [
      {
        method: 'GET',
        path: '/v1/where',
        handle: async () => {
          await sleep(1);
          return { status: 200, body: { inDomain: activeDomain() !== undefined } };
        },
      },
    ]);
    const answered: { status?: number; body?: unknown } = {};
    const req = { method: 'GET', path: '/v1/where', header: () => undefined } as unknown as Request;
    const res = {
      headersSent: false,
      setHeader: () => undefined,
      status(code: number) {
        answered.status = code;
        return this;
      },
      json(body: unknown) {
        answered.body = body;
        return this;
      },
    } as unknown as Response;
    await inRequestDomain(() => handler(req, res));
    expect(answered).toEqual({ status: 200, body: { inDomain: false } });
  });
});
