import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_MOVE_MS, type LocalTime } from './local-time.js';

/**
 * The local stack's control endpoint (not part of Switchboard: `npm start` only): move the stack
 * forward in time and run the sweeper now.
 *
 * - `GET /__control/time`: `{now, offsetSeconds}`.
 * - `POST /__control/time` `{"advance": "7d"}` (`s`, `m`, `h` or `d`, up to 30 days at a time): the
 *   functions' clock, the Cloud Tasks server (what was scheduled within the move is dispatched), the
 *   CRM server and the Storage server move forward; then the sweeper runs once, for the hourly ticks moved over.
 * - `POST /__control/sweep`: the sweeper's tick, now.
 */
export interface ControlServer {
  url: string;
  close(): Promise<void>;
}

const UNITS = new Map([
  ['s', 1000],
  ['m', 60_000],
  ['h', 3_600_000],
  ['d', 86_400_000],
]);

/** `{"advance": "90m"}` → milliseconds, or what is wrong with it. */
export function readMove(body: unknown): { ms: number } | { problem: string } {
  const usage = 'the body must be {"advance": "<n><s|m|h|d>"}, e.g. {"advance": "7d"}, at most 30 days';
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { problem: usage };
  const fields = new Map(Object.entries(body));
  const advance = fields.get('advance');
  if (fields.size !== 1 || typeof advance !== 'string') return { problem: usage };
  const match = /^(\d{1,8})([smhd])$/.exec(advance);
  const ms = match ? Number(match[1]) * UNITS.get(match[2]!)! : NaN;
  if (!(ms > 0 && ms <= MAX_MOVE_MS)) return { problem: usage };
  return { ms };
}

export async function startControlServer(options: {
  port: number;
  time: LocalTime;
  /** Ticks the sweeper and answers with its HTTP status. */
  sweep: () => Promise<number>;
}): Promise<ControlServer> {
  const { time, sweep } = options;
  const clock = () => ({ now: time.now().toISOString(), offsetSeconds: Math.round(time.offset() / 1000) });
  const runSweep = async () => ({ sweep: { status: await sweep().catch(() => 502) } });

  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>>([
    ['GET /__control/time', async (_req, res) => send(res, 200, clock())],
    [
      'POST /__control/time',
      async (req, res) => {
        const body = await readJson(req);
        if ('problem' in body) return send(res, body.status, problemOf(body.problem));
        const move = readMove(body.value);
        if ('problem' in move) return send(res, 400, problemOf(move.problem));
        try {
          time.advance(move.ms);
        } catch (error) {
          return send(res, 400, problemOf((error as Error).message));
        }
        send(res, 200, { ...clock(), ...(await runSweep()) });
      },
    ],
    ['POST /__control/sweep', async (_req, res) => send(res, 200, { ...clock(), ...(await runSweep()) })],
  ]);

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = routes.get(`${req.method} ${path}`);
    if (!route) {
      req.resume();
      const known = [...routes.keys()].some((key) => key.endsWith(` ${path}`));
      return known
        ? send(res, 405, problemOf(`${req.method} is not allowed on ${path}`))
        : send(res, 404, problemOf(`no control route ${path}`));
    }
    route(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, problemOf((error as Error).message));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const problemOf = (message: string) => ({ error: { message } });

function send(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** At most 4 KiB of JSON: a control request is a line of curl. */
async function readJson(
  req: IncomingMessage,
): Promise<{ value: unknown } | { problem: string; status: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= 4096) chunks.push(chunk);
  }
  if (size > 4096) return { problem: 'the body must be at most 4 KiB', status: 413 };
  try {
    return { value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown };
  } catch {
    return { problem: 'the body is not JSON', status: 400 };
  }
}
