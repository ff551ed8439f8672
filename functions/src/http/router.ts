import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from '@google-cloud/functions-framework';
import type { z } from 'zod';
import { AppError, invalidRequest } from '../domain/errors.js';
import { logs, traceFrom, type LogContext } from '../log.js';
import { parseJsonBody, parseOrThrow, toHttpError } from './errors.js';
import { outsideRequestDomain } from './outside-request-domain.js';

export interface RouteContext {
  req: Request;
  params: Record<string, string>;
  log: LogContext;
  /** The request body read as JSON from its raw bytes, or a 400: routes never use a framework-parsed body. */
  json(): unknown;
}

export interface RouteResult<Body = unknown> {
  status: number;
  body?: Body;
  headers?: Record<string, string>;
  /** Bytes streamed as the body instead of JSON (a recording): never held whole in memory. */
  stream?: AsyncIterable<Uint8Array>;
}

/** How a caller proves who it is: a person's ID token, the CRM's key, the platform's signature, a queue's token. */
export type SecurityScheme = 'idToken' | 'crmKey' | 'platformSignature' | 'tasksOidc';

/**
 * A success answer: a JSON body of this schema, bytes of this media type, or no body at all. Only the
 * API document reads an answer's schema, so it may be given as a function that builds it (see
 * `onFirstUse`): a cold start then does not pay for it.
 */
export type Answer = z.ZodType | (() => z.ZodType) | { readonly bytes: string } | null;

/**
 * A schema built the first time it is asked for, then kept: for answers, which the API document reads
 * and a few handlers parse their answer with, and which a function would otherwise build at every
 * cold start whether or not it is ever asked for them.
 */
export function onFirstUse<S extends z.ZodType>(build: () => S): () => S {
  let schema: S | undefined;
  return () => (schema ??= build());
}

/**
 * What a route promises its callers, read by the API document (openapi.ts). The request schemas are
 * the ones the handler parses with (through `RouteRequest`), so the document says what the code checks.
 */
export interface RouteContract {
  operationId: string;
  summary: string;
  /** Any one of these lets a caller in; an empty list is an open route. */
  security: readonly SecurityScheme[];
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /**
   * A body of bytes of this media type (an upload) instead of a JSON `body`: the handler reads
   * `req.rawBody`, the bytes as sent, bounded by the function's body limit (front-door.ts).
   */
  rawBody?: { mediaType: string };
  /** How an error names a refused body ("The call settings is not valid."); "The body" otherwise. */
  bodyName?: string;
  /** Success answers by status. */
  answers: Readonly<Record<number, Answer>>;
  /** Error statuses beyond those every route may give (400 for its inputs, 401 for its security, 500). */
  errors?: readonly number[];
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  handle: (ctx: RouteContext) => Promise<RouteResult> | RouteResult;
  contract?: RouteContract;
}

type Parsed<S, Otherwise> = S extends z.ZodType ? z.output<S> : Otherwise;
type AnswerBody<A> = {
  [K in keyof A]: A[K] extends z.ZodType
    ? z.output<A[K]>
    : A[K] extends () => z.ZodType
      ? z.output<ReturnType<A[K]>>
      : never;
}[keyof A];

/** A request as a route with a contract sees it: its inputs are read through the contract's schemas. */
export interface RouteRequest<C extends RouteContract> extends RouteContext {
  /** The path parameters, or a 400 naming "The path". */
  path(): Parsed<C['params'], Record<string, string>>;
  /** The query, or a 400 naming "The query". */
  query(): Parsed<C['query'], unknown>;
  /** The body (by default the request's, read as JSON), or a 400 naming the contract's `bodyName`. */
  body(json?: unknown): Parsed<C['body'], unknown>;
}

/**
 * A route with its contract. The handler reads its inputs through the declared schemas, when it
 * chooses (after authentication, say), and the body it answers must be one the contract describes.
 */
export function route<const C extends RouteContract>(
  method: Route['method'],
  path: string,
  contract: C,
  handle: (
    req: RouteRequest<C>,
  ) => Promise<RouteResult<AnswerBody<C['answers']>>> | RouteResult<AnswerBody<C['answers']>>,
): Route {
  const parse = (schema: z.ZodType | undefined, input: unknown, what: string) =>
    schema ? parseOrThrow(schema, input, what) : input;
  return {
    method,
    path,
    contract,
    handle: (ctx) =>
      handle({
        ...ctx,
        path: () => parse(contract.params, ctx.params, 'The path') as never,
        query: () => parse(contract.query, ctx.req.query, 'The query') as never,
        body: (json = ctx.json()) => parse(contract.body, json, contract.bodyName ?? 'The body') as never,
      }),
  };
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
      for (const [name, value] of Object.entries(headers ?? {})) res.setHeader(name, value);
      res.status(status).json(body);
    }
  }
}
