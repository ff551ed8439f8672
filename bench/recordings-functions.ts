import { randomBytes } from 'node:crypto';
import { subscribe } from 'node:diagnostics_channel';
import { appendFileSync, createReadStream } from 'node:fs';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { stat } from 'node:fs/promises';
import { request } from 'node:http';
import { startStorageServer } from '../scripts/emulators/storage-server.js';
import { serveFunctions } from '../scripts/stack/functions.js';

/**
 * The child processes of `npm run bench -- recordings` (see recordings.ts), each with memory and CPU of
 * its own, as each function runs in its own instance when deployed:
 *
 * - `serve <function> <port>`: serves one function of functions/src/index.ts with the environment it was
 *   started with, prints `{"served": name, "url": …, "pid": …}` on stdout once it listens, and runs until
 *   SIGTERM or until its parent goes (its stdin closes).
 * - `upload <file> <url> <accessToken> <partKey> <recordId>`: the baseline, one plain HTTP upload of a
 *   file's bytes, read from disk with Node's default stream chunks and nothing else done to them, as one
 *   ContentVersion insert (multipart/form-data, `entity_content` then `VersionData`); prints
 *   `{"status": …, "ms": …, "body": …}`, timed from the request to the end of the answer.
 *
 * With BENCH_RECORDINGS_TRACE=<dir>, a served function also writes to <dir>/<function>-<pid>.jsonl
 * every HTTP/1 request it makes (start, answer, end) and its memory every 20 ms, to see where a
 * recording's time and memory go. (Firestore's gRPC and Cloud Tasks' fetch calls are not seen.)
 */
const [mode, ...args] = process.argv.slice(2);

// The parent holds our stdin: when it goes, however it goes, so do we.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();

if (mode === 'serve') {
  const [name, port] = args as [string, string];
  if (process.env.BENCH_RECORDINGS_TRACE)
    trace(`${process.env.BENCH_RECORDINGS_TRACE}/${name}-${process.pid}.jsonl`);
  const { functions, stop } = await serveFunctions({ [name]: Number(port) });
  console.log(JSON.stringify({ served: name, url: functions[0]!.url, pid: process.pid }));
  const shutdown = () => void stop().finally(() => process.exit(0));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
} else if (mode === 'storage') {
  // The Storage server in a process of its own, as Cloud Storage is a service of its own: in this
  // process it would share one thread with the CRM server and slow the pipeline down, not the
  // baseline. Each finalize is a JSON line for the parent to deliver to recordingReady.
  const server = await startStorageServer({
    onFinalize: (object) => console.log(JSON.stringify({ finalized: object })),
  });
  console.log(JSON.stringify({ storage: server.url, pid: process.pid }));
  const shutdown = () => void server.close().finally(() => process.exit(0));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
} else if (mode === 'upload') {
  const [file, url, accessToken, partKey, recordId] = args as [string, string, string, string, string];
  console.log(JSON.stringify(await plainUpload(file, new URL(url), accessToken, partKey, recordId)));
  process.exit(0);
} else {
  console.error(
    `usage: recordings-functions.ts serve <function> <port> | storage | upload <file> <url> <token> <key> <record>`,
  );
  process.exit(2);
}

async function plainUpload(file: string, url: URL, accessToken: string, partKey: string, recordId: string) {
  const { size } = await stat(file);
  const boundary = `----bench${randomBytes(16).toString('hex')}`;
  const entity = {
    Title: 'baseline.wav',
    PathOnClient: 'baseline.wav',
    FirstPublishLocationId: recordId,
    Recording_Part_Key__c: partKey,
  };
  const preamble = Buffer.from(
    `--${boundary}\r\n` +
      'Content-Disposition: form-data; name="entity_content"\r\n' +
      'Content-Type: application/json; charset=UTF-8\r\n\r\n' +
      `${JSON.stringify(entity)}\r\n` +
      `--${boundary}\r\n` +
      'Content-Disposition: form-data; name="VersionData"; filename="baseline.wav"\r\n' +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const epilogue = Buffer.from(`\r\n--${boundary}--\r\n`);
  const started = performance.now();
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${accessToken}`,
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Content-Length': String(preamble.length + size + epilogue.length),
        Accept: 'application/json',
      },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.write(preamble);
    const source = createReadStream(file);
    source.on('error', (error) => {
      req.destroy();
      reject(error);
    });
    source.on('end', () => req.end(epilogue));
    source.pipe(req, { end: false });
  });
  return { ...answer, ms: performance.now() - started, sizeBytes: size };
}

function trace(file: string) {
  const write = (line: Record<string, unknown>) => appendFileSync(file, `${JSON.stringify(line)}\n`);
  subscribe('http.client.request.start', (message) => {
    const { request: req } = message as { request: ClientRequest };
    const start = Date.now();
    const what = { method: req.method, host: req.host, path: req.path.slice(0, 120) };
    req.once('response', (res: IncomingMessage) => {
      const answered = Date.now();
      let bytes = 0;
      let chunks = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        chunks += 1;
      });
      res.once('end', () =>
        write({ http: what, start, answered, end: Date.now(), status: res.statusCode, bytes, chunks }),
      );
    });
  });
  setInterval(() => write({ memory: Date.now(), ...process.memoryUsage() }), 20).unref();
}
