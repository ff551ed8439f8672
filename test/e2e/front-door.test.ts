import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_BODY_LIMITS } from '../../functions/src/http/front-door.js';
import { signPlatformRequest } from '../../functions/src/http/platform-signature.js';
import { buildFunctions } from '../../scripts/build.js';
import { FRONT_DOOR_NODE_OPTIONS } from '../../scripts/stack/functions.js';
import { connectedAppKeys, freePort } from '../../scripts/stack/recordings.js';
import { emulatorHost, testFirestore, testProjectId } from '../support/projects.js';

/**
 * The HTTP functions as deployed: built as npm run build builds them into a copy of the package, started
 * by the functions framework's own CLI with the NODE_OPTIONS of infra/functions.tf, on the Firestore
 * emulator. Hostile bodies and paths get JSON 4xx answers, compressed bodies are never inflated, and
 * nothing they carry is written.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const projectId = testProjectId('front-door');
const SECRET = 'front-door-secret-0123456789abcdef0123456';
const db = testFirestore(projectId);
const build = join(root, '.local', `deployed-${randomBytes(4).toString('hex')}`);
const served = new Map<string, { url: string; process: ChildProcess }>();

const url = (target: string) => served.get(target)!.url;
const pid = (target: string) => served.get(target)!.process.pid!;

async function startAsDeployed(target: string): Promise<void> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [join(root, 'node_modules/@google-cloud/functions-framework/build/src/main.js'), '--source=.'],
    {
      cwd: build,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_OPTIONS: FRONT_DOOR_NODE_OPTIONS,
        FUNCTION_TARGET: target,
        PORT: String(port),
        GOOGLE_CLOUD_PROJECT: projectId,
        METADATA_SERVER_DETECTION: 'none',
        FIRESTORE_EMULATOR_HOST: emulatorHost('FIRESTORE_EMULATOR_HOST'),
        FIREBASE_AUTH_EMULATOR_HOST: emulatorHost('FIREBASE_AUTH_EMULATOR_HOST'),
        PUBSUB_EMULATOR_HOST: emulatorHost('PUBSUB_EMULATOR_HOST'),
        PLATFORM_SIGNING_SECRET: SECRET,
        PLATFORM_COMMANDS_TOPIC: 'platform-commands',
        LOG_LEVEL: 'ERROR',
        ...(target === 'recordingWorker' ? workerSettings() : {}),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  served.set(target, { url: `http://127.0.0.1:${port}`, process: child });
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`${target} exited: ${errors}`);
    // Any answer will do: the worker has no health route.
    const ready = await fetch(`${url(target)}/healthz`).then(
      () => true,
      () => false,
    );
    if (ready) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${target} did not start: ${errors}`);
}

/** What the worker cannot start without; nothing here is reached, since every request is refused. */
function workerSettings(): Record<string, string> {
  const nowhere = 'http://127.0.0.1:9';
  return {
    RECORDINGS_BUCKET: 'recordings',
    RECORDINGS_QUEUE: `projects/${projectId}/locations/europe-west1/queues/recordings`,
    RECORDING_WORKER_URL: nowhere,
    RECORDING_TASKS_SERVICE_ACCOUNT: `recording-tasks@${projectId}.iam.gserviceaccount.com`,
    TASKS_EMULATOR_HOST: nowhere,
    TASKS_OIDC_CERTS_URL: `${nowhere}/certs`,
    STORAGE_EMULATOR_HOST: nowhere,
    SALESFORCE_LOGIN_URL: nowhere,
    SALESFORCE_CLIENT_ID: 'front-door-test',
    SALESFORCE_USERNAME: 'front-door@switchboard.test',
    SALESFORCE_PRIVATE_KEY: connectedAppKeys().privateKeyPem,
  };
}

beforeAll(async () => {
  mkdirSync(build, { recursive: true });
  copyFileSync(join(root, 'package.json'), join(build, 'package.json'));
  // The deployed build (npm run build).
  await buildFunctions(join(build, 'functions/lib'));
  await Promise.all(['api', 'platformEvents', 'recordingWorker'].map(startAsDeployed));
});

afterAll(async () => {
  await Promise.all(
    [...served.values()].map(
      ({ process: child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill();
        }),
    ),
  );
  rmSync(build, { recursive: true, force: true });
  await db.terminate();
});

interface Answer {
  status: number;
  contentType: string;
  text: string;
  /** From the first byte sent to the whole answer. */
  ms: number;
  /** Whether the server said "100 Continue" (to a request that expects it). */
  continued: boolean;
}

/** A request over one fresh connection; a body given as a list of pieces is sent chunked, without a length. */
function send(
  target: string,
  path: string,
  options: { method?: string; headers?: Record<string, string | number>; body?: Buffer | Buffer[] } = {},
): Promise<Answer> {
  const started = performance.now();
  let continued = false;
  return new Promise((resolve, reject) => {
    const req = request(
      `${url(target)}${path}`,
      { method: options.method ?? 'POST', headers: options.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
            continued,
          }),
        );
      },
    );
    // The answer may come before the whole body is sent: what matters is the answer.
    req.on('error', reject);
    const pieces =
      options.body === undefined ? [] : Array.isArray(options.body) ? options.body : [options.body];
    const sendBody = () => {
      for (const piece of pieces) req.write(piece);
      req.end();
    };
    // Asked to be told before sending the body: sent only on "100 Continue".
    if (options.headers?.expect === undefined) sendBody();
    else {
      req.flushHeaders();
      req.once('continue', () => {
        continued = true;
        sendBody();
      });
    }
  });
}

/** Bytes written on a raw connection, and what comes back until the server closes it. */
function sendRaw(target: string, bytes: string): Promise<string> {
  const { port } = new URL(url(target));
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** The answer is the JSON error every route answers with, and reveals nothing of the server. */
function expectJsonError(answer: Answer, status: number, code?: string) {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.contentType).toMatch(/^application\/json/);
  const body = JSON.parse(answer.text) as { error: { code: string; message: string } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error.message).toEqual(expect.any(String));
  if (code) expect(body.error.code).toBe(code);
  expect(answer.text).not.toMatch(/\n\s*at |\bat \S+ \(|Error:|node_modules|<!DOCTYPE|<html|<pre/i);
}

/** Peak resident memory of a process, from the kernel (VmHWM). */
function peakRssBytes(processId: number): number {
  const line = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${processId}/status`, 'utf8'))!;
  return Number(line[1]) * 1024;
}

async function nothingWritten() {
  expect((await db.listCollections()).map((c) => c.id)).toEqual([]);
}

let sequence = 0;
function sessionCreated(sessionId: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 1,
      eventId: `${sessionId}-${sequence}`,
      sessionId,
      sequence: sequence++,
      occurredAt: new Date().toISOString(),
      type: 'session.created',
      kind: 'call',
      channel: 'ivr',
      queue: { id: 'q-refunds', menuPath: ['Billing', 'Refunds'] },
      language: 'en',
      consumer: { id: 'c-42', anonymous: true },
    }),
  );
}

/** The platform's signature headers for a body posted to /v1/events (as it would sign it uncompressed). */
function signed(body: Buffer, headers: Record<string, string | number> = {}) {
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    'content-type': 'application/json',
    'x-switchboard-timestamp': String(timestamp),
    'x-switchboard-signature': signPlatformRequest(SECRET, timestamp, {
      method: 'POST',
      path: '/v1/events',
      body,
    }),
    ...headers,
  };
}

/** A gzip body of about 1 MB that inflates to 960 MiB of zeros: gzip members, one after the other. */
function gzipBomb(): { body: Buffer; inflatedBytes: number } {
  const member = gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
  const members = 15;
  return {
    body: Buffer.concat(Array.from({ length: members }, () => member)),
    inflatedBytes: members * 64 * 1024 * 1024,
  };
}

describe('the HTTP functions as deployed, behind the front door', () => {
  it('when the platform posts a signed event, then it is stored: the front door hands the body over whole', async () => {
    const body = sessionCreated('door-ok');
    const answer = await send('platformEvents', '/v1/events', { headers: signed(body), body });
    expect(answer.status, answer.text).toBe(200);
    expect((await db.doc('sessions/door-ok').get()).exists).toBe(true);
    // …chunked, and with an explicit identity encoding, too.
    const chunked = sessionCreated('door-ok');
    const again = await send('platformEvents', '/v1/events', {
      headers: signed(chunked, { 'content-encoding': 'identity' }),
      body: [chunked.subarray(0, 10), chunked.subarray(10)],
    });
    expect(again.status, again.text).toBe(200);
    // …and from a client that waits to be told to send its body.
    const asking = sessionCreated('door-ok');
    const told = await send('platformEvents', '/v1/events', {
      headers: signed(asking, { expect: '100-continue', 'content-length': asking.length }),
      body: asking,
    });
    expect([told.status, told.continued], told.text).toEqual([200, true]);
    await db.recursiveDelete(db.collection('sessions'));
    await nothingWritten();
  });

  it('when a gzip body of about 1 MB that inflates to almost 1 GB is sent, then a quick JSON refusal, and memory does not grow', async () => {
    const bomb = gzipBomb();
    const figures: string[] = [];
    for (const [target, path, status] of [
      // Over platformEvents' 64 KiB as sent: too large before its encoding is even looked at.
      ['platformEvents', '/v1/events', 413],
      // Within the api's limit as sent, but compressed: refused unread.
      ['api', '/v1/settings/call', 415],
      ['recordingWorker', '/v1/tasks/upload-part', 413],
    ] as const) {
      for (const chunked of [false, true]) {
        const before = peakRssBytes(pid(target));
        const answer = await send(target, path, {
          method: path.startsWith('/v1/settings') ? 'PUT' : 'POST',
          headers: {
            'content-type': 'application/json',
            'content-encoding': 'gzip',
            ...(chunked ? {} : { 'content-length': bomb.body.length }),
          },
          body: chunked ? chunksOf(bomb.body, 64 * 1024) : bomb.body,
        });
        const after = peakRssBytes(pid(target));
        // Sent without a length, a body is read until it passes the limit or ends: the encoding is
        // refused before either.
        expectJsonError(answer, chunked ? 415 : status);
        figures.push(
          `${target} ${chunked ? 'chunked' : 'with length'}: ${answer.status} in ${answer.ms.toFixed(0)} ms, ` +
            `peak RSS ${mib(before)} → ${mib(after)} MiB`,
        );
        expect(after - before, target).toBeLessThan(4 * 1024 * 1024);
      }
    }
    // eslint-disable-next-line no-console -- the figures are this test's report: time to answer and memory
    console.log(
      `Gzip bomb of ${mib(bomb.body.length)} MiB (inflates to ${mib(bomb.inflatedBytes)} MiB):\n  ${figures.join('\n  ')}`,
    );
    await nothingWritten();
  });

  it('when a client that asked to close the connection is refused mid-body, then the connection stays open for the rest of its body, and closes after', async () => {
    const { port } = new URL(url('api'));
    const rest = Buffer.alloc(256 * 1024, 1);
    const head =
      'PUT /v1/settings/call HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n' +
      'Content-Type: application/json\r\nContent-Encoding: gzip\r\n' +
      `Content-Length: ${1024 + rest.length}\r\n\r\n`;
    const socket = connect(Number(port), '127.0.0.1');
    const received: Buffer[] = [];
    let endedBeforeBodySent = false;
    let bodySent = false;
    const closed = new Promise<void>((done, fail) => {
      socket.on('error', fail);
      socket.on('end', () => {
        if (!bodySent) endedBeforeBodySent = true;
      });
      socket.on('close', () => done());
    });
    const answered = new Promise<void>((done) =>
      socket.on('data', (chunk: Buffer) => {
        received.push(chunk);
        if (Buffer.concat(received).includes('}}')) done();
      }),
    );
    socket.write(head);
    socket.write(Buffer.alloc(1024, 1));
    await answered;
    // The answer is in; a server that closed now would leave the rest of this body nowhere to go.
    await new Promise((wait) => setTimeout(wait, 300));
    expect(endedBeforeBodySent).toBe(false);
    bodySent = true;
    socket.write(rest);
    await closed;
    const text = Buffer.concat(received).toString('utf8');
    expect(text).toMatch(/^HTTP\/1\.1 415 /);
    expect(text).toContain('unsupported_content_encoding');
  });

  it('when a body declares a length over the function’s limit, then 413 before it is read, and nothing is written', async () => {
    for (const [target, limit] of REQUEST_BODY_LIMITS) {
      const body = Buffer.alloc(limit + 1, ' ');
      const answer = await send(target, '/v1/events', {
        headers: signed(body, { 'content-length': body.length }),
        body,
      });
      expectJsonError(answer, 413, 'payload_too_large');
      expect(answer.text).toContain(String(limit));
    }
    await nothingWritten();
  });

  it('when a client asks before sending a body the front door refuses, then it is refused without being asked for', async () => {
    for (const [target, limit] of REQUEST_BODY_LIMITS) {
      const body = Buffer.alloc(limit + 1, ' ');
      const answer = await send(target, '/v1/events', {
        headers: signed(body, { expect: '100-continue', 'content-length': body.length }),
        body,
      });
      expectJsonError(answer, 413, 'payload_too_large');
      expect(answer.continued).toBe(false);
      const compressed = await send(target, '/v1/events', {
        headers: signed(body, { expect: '100-continue', 'content-encoding': 'gzip' }),
        body: gzipSync(body),
      });
      expectJsonError(compressed, 415, 'unsupported_content_encoding');
      expect(compressed.continued).toBe(false);
      const strange = await send(target, '/v1/events', {
        headers: signed(body, { expect: 'a-miracle', 'content-length': 1 }),
        body: Buffer.from(' '),
      });
      expectJsonError(strange, 417, 'expectation_failed');
    }
    await nothingWritten();
  });

  it('when a body is sent chunked past the function’s limit, then 413 once it passes the limit, and nothing is written', async () => {
    for (const [target, limit] of REQUEST_BODY_LIMITS) {
      // A valid signed event, padded with whitespace (still valid JSON) past the limit.
      const event = sessionCreated(`door-chunked-${target}`);
      const body = Buffer.concat([event, Buffer.alloc(limit, ' ')]);
      const answer = await send(target, target === 'api' ? '/v1/settings/call' : '/v1/events', {
        method: target === 'api' ? 'PUT' : 'POST',
        headers: signed(body),
        body: chunksOf(body, 16 * 1024),
      });
      expectJsonError(answer, 413, 'payload_too_large');
    }
    await nothingWritten();
  });

  it('when a valid signed event is sent deflated, brotli-compressed or in an unknown encoding, then 415 and it is not stored', async () => {
    const event = sessionCreated('door-encoded');
    for (const [encoding, body] of [
      ['gzip', gzipSync(event)],
      ['deflate', deflateSync(event)],
      ['br', brotliCompressSync(event)],
      ['x-unheard-of', event],
      ['gzip, identity', gzipSync(event)],
      ['GZIP', gzipSync(event)],
    ] as const) {
      const answer = await send('platformEvents', '/v1/events', {
        headers: signed(event, { 'content-encoding': encoding }),
        body,
      });
      expectJsonError(answer, 415, 'unsupported_content_encoding');
    }
    await nothingWritten();
  });

  it('when a body is not JSON, then a JSON 4xx, never the framework’s HTML error page', async () => {
    for (const body of ['{"schemaVersion": 1,', '{"a":1}}', 'a=1&b[c]=2', '\u0000\u00ff']) {
      const bytes = Buffer.from(body);
      for (const contentType of [
        'application/json',
        'application/cloudevents+json',
        'text/plain',
        'application/x-www-form-urlencoded',
      ]) {
        const events = await send('platformEvents', '/v1/events', {
          headers: signed(bytes, { 'content-type': contentType }),
          body: bytes,
        });
        expectJsonError(events, 400, 'invalid_request');
        // The api checks who is asking before it reads a body.
        const api = await send('api', '/v1/settings/call', {
          method: 'PUT',
          headers: { 'content-type': contentType },
          body: bytes,
        });
        expectJsonError(api, 401, 'unauthenticated');
      }
    }
    await nothingWritten();
  });

  it('when a path has a malformed percent-escape, or is absurdly long, or is not a path, then 400 without a stack trace', async () => {
    for (const target of REQUEST_BODY_LIMITS.keys()) {
      for (const path of [
        '/%',
        '/v1/%E0%A4%A',
        '/v1/sessions/%ZZ/monitor',
        '/v1/sessions/%ED%A0%80/transfer-targets',
        '/v1/settings/queues/%C0%AF',
        `/v1/${'a'.repeat(5000)}`,
      ]) {
        for (const method of ['GET', 'POST', 'PUT', 'DELETE']) {
          expectJsonError(await send(target, path, { method }), 400, 'invalid_request');
        }
      }
      for (const requestTarget of ['*', 'http://127.0.0.1/healthz', 'healthz']) {
        const raw = await sendRaw(
          target,
          `GET ${requestTarget} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        );
        expect(raw, requestTarget).toMatch(/^HTTP\/1\.1 400 /);
        expect(raw).toMatch(/\r\n\r\n\{"error":\{"code":"invalid_request"/);
      }
    }
    await nothingWritten();
  });

  it('when a request is not well-formed HTTP, then a JSON 400 (Node’s own answer is an empty one)', async () => {
    for (const target of REQUEST_BODY_LIMITS.keys()) {
      for (const bytes of [
        'POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
        'POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        'GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n',
      ]) {
        const raw = await sendRaw(target, bytes);
        expect(raw, bytes).toMatch(/^HTTP\/1\.1 400 /);
        expect(raw).toMatch(/Content-Type: application\/json/);
        expect(raw).toMatch(/\r\n\r\n\{"error":\{"code":"invalid_request"/);
      }
      // A tunnel request, which Node would otherwise close unanswered.
      const tunnel = await sendRaw(target, 'CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n');
      expect(tunnel).toMatch(/^HTTP\/1\.1 405 /);
      expect(tunnel).toMatch(/\r\n\r\n\{"error":\{"code":"method_not_allowed"/);
    }
  });

  it('when a path has no route, or the method is not one it allows, then a JSON 404 or 405', async () => {
    for (const target of REQUEST_BODY_LIMITS.keys()) {
      for (const path of [
        '/nope',
        '/v1',
        '/robots.txt',
        '/favicon.ico',
        '/ROBOTS.TXT/again',
        '/v1/events/../../etc',
      ]) {
        expectJsonError(await send(target, path, { method: 'GET' }), 404, 'not_found');
      }
      const routed = target === 'recordingWorker' ? '/v1/tasks/plan' : '/healthz';
      expectJsonError(await send(target, routed, { method: 'DELETE' }), 405, 'method_not_allowed');
    }
    await nothingWritten();
  });
});

function chunksOf(bytes: Buffer, size: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += size)
    pieces.push(bytes.subarray(offset, offset + size));
  return pieces;
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
