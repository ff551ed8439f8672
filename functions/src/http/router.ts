import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from '@google-cloud/functions-framework';
import { AppError, invalidRequest } from '../domain/errors.js';
import { logs, traceFrom, type LogContext } from '../log.js';
import { parseJsonBody, toHttpError } from './errors.js';
import { outsideRequestDomain } from './outside-request-domain.js';

export interface RouteContext {
  req: Request;
  params: Record<string, string>;
  log: LogContext;
  /** The request body read as JSON from its raw bytes, or a 400: routes never use a framework-parsed body. */
  json(): unknown;
}

export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Bytes streamed as the body instead of JSON (a recording): never held whole in memory. */
  stream?: AsyncIterable<Uint8Array>;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  handle: (ctx: RouteContext) => Promise<RouteResult> | RouteResult;
}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalidRequest('The request path has a malformed percent-escape (%XX) or encodes invalid UTF-8.');
  }
}

function match(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = decodePathSegment(got[i]!);
    if (w.startsWith(':')) params[w.slice(1)] = g;
    else if (w !== g) return undefined;
  }
  return params;
}

/**
 * An HTTP function made of routes, with one error mapping and request-rejection logs. Every route runs
 * outside the framework's request domain (see outside-request-domain.ts): failures reach the error
 * mapping through the handler's promise, and a streamed body (a recording) pays nothing per chunk.
 */
export function httpFunction(projectId: string, routes: readonly Route[]) {
  return (req: Request, res: Response): Promise<void> => outsideRequestDomain(() => serve(req, res));

  async function serve(req: Request, res: Response): Promise<void> {
    const log = traceFrom(req.header('x-cloud-trace-context'), projectId);
    const path = req.path;
    try {
      let allowed = false;
      for (const route of routes) {
        const params = match(route.path, path);
        if (!params) continue;
        allowed = true;
        if (route.method !== req.method) continue;
        const json = () => parseJsonBody(req.rawBody ?? Buffer.alloc(0));
        const result = await route.handle({ req, params, log, json });
        for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
        if (result.stream) {
          res.status(result.status);
          await pipeline(Readable.from(result.stream), res);
        } else if (result.body === undefined) res.status(result.status).end();
        else res.status(result.status).json(result.body);
        return;
      }
      throw allowed
        ? new AppError('method_not_allowed', 405, `${req.method} is not allowed on ${path}.`)
        : new AppError('not_found', 404, `No route for ${path}.`);
    } catch (error) {
      if (res.headersSent) {
        // Failed half-way through a streamed body: the caller sees a cut connection, not a whole file.
        logs.unexpectedError(error, { operation: `${req.method} ${path}` }, log);
        res.destroy();
        return;
      }
      const { status, headers, body } = toHttpError(error);
      if (status >= 500) logs.unexpectedError(error, { operation: `${req.method} ${path}` }, log);
      else {
        const reason = (body.error.details as { reason?: string } | undefined)?.reason;
        logs.requestRejected({ code: body.error.code, status, path, ...(reason ? { reason } : {}) }, log);
      }
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      res.status(status).json(body);
    }
  }
}
