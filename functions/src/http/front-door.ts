import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { AppError, invalidRequest } from '../domain/errors.js';
import { logs, traceFrom } from '../log.js';
import { toHttpError } from './errors.js';

/**
 * The front door of every HTTP function: it sees each request before the functions framework's
 * Express app does. The framework reads, decompresses and buffers any body up to 1 GB before our code
 * runs, and answers a body or path it cannot parse with an HTML page; here a request is refused
 * instead, as the same JSON error every route answers with, while memory stays bounded by the
 * function's body limit:
 * - a declared Content-Length over the limit is refused (413) before a byte is read;
 * - a Content-Encoding other than identity is refused (415) before a byte is read, so nothing is
 *   ever inflated;
 * - a body sent without a length (chunked) is counted as it arrives and refused (413) once it
 *   passes the limit;
 * - a request target that is not a path, is absurdly long or does not percent-decode is refused (400).
 * A body read whole is kept as `req.rawBody`, and the request is left complete and no longer
 * readable, which body-parser (2.x, `read`: `onFinished.isFinished`) takes as "already parsed": the
 * framework's parsers never see it, and routes read the raw bytes (router.ts).
 */

/** A session event is a few hundred bytes; anything much larger is not one. */
export const MAX_EVENT_BYTES = 64 * 1024;

/** The largest body each HTTP function accepts, in bytes, as sent (nothing is accepted compressed). */
export const REQUEST_BODY_LIMITS: ReadonlyMap<string, number> = new Map([
  ['platformEvents', MAX_EVENT_BYTES],
  // A task's body: a plan id and a part number.
  ['recordingWorker', 64 * 1024],
  // The largest settings section: a support center with 500 custom hours, each a full week of two
  // intervals a day and 20 named holidays, is 1.1 MB of JSON.
  ['api', 2 * 1024 * 1024],
]);

/** Longer than any route's path with its query (ids are at most 128 characters). */
export const MAX_REQUEST_TARGET_LENGTH = 4096;

/**
 * What is still read, and thrown away, after a body is refused, so that the caller receives the
 * answer instead of a reset connection; past it the connection is cut. Memory does not grow with it.
 */
const DISCARD_AFTER_REFUSAL_BYTES = 8 * 1024 * 1024;

/** Paths the framework answers itself, with an empty 404 (server.js, "ignored routes"). */
const FRAMEWORK_IGNORED_PATHS = ['/favicon.ico', '/robots.txt'];

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

export function bodyLimitOf(target: string | undefined): number {
  const limit = target === undefined ? undefined : REQUEST_BODY_LIMITS.get(target);
  if (limit === undefined)
    throw new Error(
      `No request body limit for the function "${target ?? ''}": expected one of ${[...REQUEST_BODY_LIMITS.keys()].join(', ')}.`,
    );
  return limit;
}

/**
 * Puts the front door before every request listener `server` has, and answers requests that do not
 * parse as HTTP with the same JSON error shape.
 */
export function guardServer(server: Server, bodyLimit: number): Server {
  const listeners = server.listeners('request') as Listener[];
  server.removeAllListeners('request');
  const handOver = (req: IncomingMessage, res: ServerResponse) => {
    for (const listener of listeners) listener.call(server, req, res);
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) =>
    admit(req, res, bodyLimit, { askedToContinue: false }, () => handOver(req, res)),
  );
  // "Expect: 100-continue": the body is asked for only once the request passed the checks, so a
  // refused one is never sent.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) =>
    admit(req, res, bodyLimit, { askedToContinue: true }, () => handOver(req, res)),
  );
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) =>
    refuse(
      req,
      res,
      new AppError('expectation_failed', 417, 'The only expectation accepted is "100-continue".'),
      req.url ?? '',
      { bodyWithheld: true },
    ),
  );
  server.on('clientError', answerUnparsableRequest);
  // Node hands a CONNECT's connection over whole, and closes it unanswered when nobody takes it.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) =>
    answerOnSocket(socket, new AppError('method_not_allowed', 405, 'CONNECT is not allowed.')),
  );
  return server;
}

function admit(
  req: IncomingMessage,
  res: ServerResponse,
  bodyLimit: number,
  { askedToContinue }: { askedToContinue: boolean },
  next: () => void,
): void {
  const target = req.url ?? '';
  const refusal = refusalBeforeReading(req, target, bodyLimit);
  if (refusal) {
    refuse(req, res, refusal, target, { bodyWithheld: askedToContinue });
    return;
  }
  if (askedToContinue) res.writeContinue();
  const chunks: Buffer[] = [];
  let received = 0;
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    if (received <= bodyLimit) {
      chunks.push(chunk);
      return;
    }
    req.off('data', onData);
    req.off('end', onEnd);
    chunks.length = 0;
    refuse(req, res, tooLarge(bodyLimit), target, { bodyWithheld: false });
  };
  const onEnd = () => {
    req.off('data', onData);
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = Buffer.concat(chunks, received);
    next();
  };
  req.on('data', onData);
  req.once('end', onEnd);
  // A caller that goes away mid-body is owed nothing; what was read is dropped with the request.
  req.once('error', () => req.socket.destroy());
}

function refusalBeforeReading(req: IncomingMessage, target: string, bodyLimit: number): AppError | undefined {
  if (target.length > MAX_REQUEST_TARGET_LENGTH)
    return invalidRequest(
      `The request path and query may be at most ${MAX_REQUEST_TARGET_LENGTH} characters.`,
    );
  if (!target.startsWith('/')) return invalidRequest('The request target must be a path starting with "/".');
  const path = target.split('?', 1)[0]!;
  try {
    decodeURIComponent(path);
  } catch {
    return invalidRequest('The request path has a malformed percent-escape (%XX) or encodes invalid UTF-8.');
  }
  const lowered = path.toLowerCase();
  if (FRAMEWORK_IGNORED_PATHS.some((ignored) => lowered === ignored || lowered.startsWith(`${ignored}/`)))
    return new AppError('not_found', 404, `No route for ${path}.`);
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > bodyLimit) return tooLarge(bodyLimit);
  const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity')
    return new AppError(
      'unsupported_content_encoding',
      415,
      'Request bodies are accepted uncompressed only: send them without a Content-Encoding.',
    );
  return undefined;
}

const tooLarge = (bodyLimit: number) =>
  new AppError('payload_too_large', 413, `A request body may be at most ${bodyLimit} bytes.`);

/**
 * Answers `error` as JSON. `bodyWithheld`: the caller waits for "100 Continue" before sending its body
 * and was not told to, so the connection is closed rather than left expecting a body that may never come.
 */
function refuse(
  req: IncomingMessage,
  res: ServerResponse,
  error: AppError,
  target: string,
  { bodyWithheld }: { bodyWithheld: boolean },
): void {
  const { status, body } = toHttpError(error);
  const trace = traceFrom(
    headerValue(req.headers['x-cloud-trace-context']),
    process.env.GOOGLE_CLOUD_PROJECT ?? '',
  );
  logs.requestRejected({ code: body.error.code, status, path: target.slice(0, 200) }, trace);
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...(bodyWithheld ? { connection: 'close' } : {}),
  });
  if (req.readableEnded || bodyWithheld) {
    res.end(payload);
    return;
  }
  // The answer is written at once, but ended only once the body has been read on and discarded: a
  // caller that asked for the connection to close would otherwise have it closed under the body it is
  // still sending and see a broken pipe instead of this answer. Past the allowance it is cut off.
  res.write(payload);
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_AFTER_REFUSAL_BYTES) {
      res.end();
      req.socket.destroy();
    }
  });
  req.once('end', () => res.end());
  req.resume();
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Node's own answers to a request it cannot parse (_http_server.js), as JSON errors, and on the same
 * condition: only on a connection nothing was written to yet, where an answer cannot land in the
 * middle of another one.
 */
function answerUnparsableRequest(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable || (socket as Socket).bytesWritten !== 0) {
    socket.destroy();
    return;
  }
  const known = new Map<string, AppError>([
    ['HPE_HEADER_OVERFLOW', new AppError('headers_too_large', 431, 'The request headers are too large.')],
    [
      'HPE_CHUNK_EXTENSIONS_OVERFLOW',
      new AppError('payload_too_large', 413, 'The chunk extensions are too large.'),
    ],
    [
      'ERR_HTTP_REQUEST_TIMEOUT',
      new AppError('request_timeout', 408, 'The request took too long to arrive.'),
    ],
  ]);
  answerOnSocket(
    socket,
    known.get(error.code ?? '') ?? invalidRequest('The request is not well-formed HTTP/1.1.'),
  );
}

/** A JSON error written on a connection Node no longer serves as HTTP, which is then closed. */
function answerOnSocket(socket: Duplex, error: AppError): void {
  const { status, body } = toHttpError(error);
  const payload = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${statusText(status)}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`,
  );
}

function statusText(status: number): string {
  return new Map([
    [400, 'Bad Request'],
    [405, 'Method Not Allowed'],
    [408, 'Request Timeout'],
    [413, 'Payload Too Large'],
    [431, 'Request Header Fields Too Large'],
  ]).get(status)!;
}
