import { describe, expect, it } from 'vitest';
import type { Request, Response } from '@google-cloud/functions-framework';
import { configureLogs } from '../../functions/src/log.js';
import { httpFunction } from '../../functions/src/http/router.js';

/** Calls an HTTP function of one route as the framework would, and returns what it answered. */
async function answer(path: string) {
  const handler = httpFunction('demo-project', [
    { method: 'GET', path: '/v1/things/:thingId', handle: ({ params }) => ({ status: 200, body: params }) },
  ]);
  const answered: { status?: number; body?: unknown } = {};
  const req = { method: 'GET', path, header: () => undefined } as unknown as Request;
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
  await handler(req, res);
  return answered;
}

describe('the router', () => {
  it('when a path segment is percent-encoded, then the route gets it decoded', async () => {
    expect(await answer('/v1/things/caf%C3%A9%20au%20lait')).toEqual({
      status: 200,
      body: { thingId: 'café au lait' },
    });
  });

  it('when a path segment has a malformed percent-escape or encodes invalid UTF-8, then a 400 naming it, not a 500', async () => {
    configureLogs({ sink: () => {} });
    for (const path of [
      '/v1/things/%',
      '/v1/things/%E0%A4%A',
      '/v1/things/%ZZ',
      '/v1/%ED%A0%80/x',
      '/v1/things/%C0%AF',
    ]) {
      expect(await answer(path), path).toEqual({
        status: 400,
        body: {
          error: {
            code: 'invalid_request',
            message: 'The request path has a malformed percent-escape (%XX) or encodes invalid UTF-8.',
            details: { issues: [] },
          },
        },
      });
    }
  });
});
