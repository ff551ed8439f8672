import { createHash, randomBytes } from 'node:crypto';
import { subscribe } from 'node:diagnostics_channel';
import { appendFileSync, createReadStream } from 'node:fs';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { stat } from 'node:fs/promises';
import { get, request } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { sendMultipart } from '../functions/src/adapters/salesforce/multipart-upload.js';
import { GcsRecordingBlobs } from '../functions/src/adapters/storage/recording-blobs.js';
import { startStorageServer } from '../local-servers/storage.js';
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
 *   `{"status": …, "ms": …, "cpuS": …, "body": …}`, timed from the request to the end of the answer
 *   (`cpuS`: this process's CPU seconds in that time).
 * - `relay <storageUrl> <bucket> <object> <url> <accessToken> <keyPrefix> <recordId> <partBytes> <how>`:
 *   what any pipeline from Storage to the CRM costs on this machine, without our state and queue: the
 *   object's parts, one after another, each read as a byte range and sent as a ContentVersion insert
 *   as it comes (keys `<keyPrefix>:<i>`). `bare`: a plain GET piped into the insert; `md5`: the
 *   same, hashed on the way; `adapters`: our Storage adapter's range read into our multipart
 *   upload (counted and hashed), as the worker does it. Prints `{"statuses": […], "ms": …}`.
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
  const { size } = await stat(file);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const entity = {
    Title: 'baseline.wav',
    PathOnClient: 'baseline.wav',
    FirstPublishLocationId: recordId,
    Recording_Part_Key__c: partKey,
  };
  const answer = await insert(new URL(url), accessToken, entity, size, () => createReadStream(file));
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  console.log(JSON.stringify({ ...answer, ms, cpuS: (cpu.user + cpu.system) / 1e6, sizeBytes: size }));
  process.exit(0);
} else if (mode === 'relay') {
  const [storageUrl, bucket, object, url, accessToken, keyPrefix, recordId, partBytes, how] = args as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const blobs = new GcsRecordingBlobs({ projectId: 'demo-bench-recordings', apiEndpoint: storageUrl });
  const source = await blobs.stat(bucket, object);
  if (!source) throw new Error(`relay: no ${bucket}/${object}`);
  const mediaUrl = `${storageUrl}/download/storage/v1/b/${bucket}/o/${encodeURIComponent(object)}?alt=media`;
  const started = performance.now();
  const statuses: number[] = [];
  for (let start = 0; start < source.sizeBytes; start += Number(partBytes)) {
    const end = Math.min(source.sizeBytes, start + Number(partBytes)) - 1;
    const entityContent = {
      Title: 'relay.wav',
      PathOnClient: 'relay.wav',
      FirstPublishLocationId: recordId,
      Recording_Part_Key__c: `${keyPrefix}:${statuses.length}`,
    };
    const answer =
      how === 'adapters'
        ? await sendMultipart({
            url: new URL(url),
            accessToken,
            entityContent,
            fileName: 'relay.wav',
            sizeBytes: end - start + 1,
            body: blobs.read(bucket, object, source.generation, { start, end }),
            idleTimeoutMs: 120_000,
          })
        : await insert(new URL(url), accessToken, entityContent, end - start + 1, () =>
            rangeOf(mediaUrl, start, end, how === 'md5'),
          );
    statuses.push(answer.status);
  }
  console.log(JSON.stringify({ statuses, ms: performance.now() - started }));
  process.exit(0);
} else {
  console.error(
    'usage: recordings-functions.ts serve <function> <port> | storage | ' +
      'upload <file> <url> <token> <key> <record> | ' +
      'relay <storage> <bucket> <object> <url> <token> <keyPrefix> <record> <partBytes> bare|md5|adapters',
  );
  process.exit(2);
}

/** One byte range of an object, as a stream, hashed on the way if asked. */
function rangeOf(mediaUrl: string, start: number, end: number, md5: boolean): Promise<Readable> {
  return new Promise((resolve, reject) => {
    get(mediaUrl, { headers: { Range: `bytes=${start}-${end}` } }, (res) => {
      if (res.statusCode !== 206) return reject(new Error(`range read: HTTP ${res.statusCode}`));
      if (!md5) return resolve(res);
      const hash = createHash('md5');
      const hashed = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      });
      res.on('error', (error) => hashed.destroy(error));
      resolve(res.pipe(hashed));
    }).on('error', reject);
  });
}

/** One ContentVersion insert (multipart/form-data, `entity_content` then `VersionData`) of a stream. */
async function insert(
  url: URL,
  accessToken: string,
  entity: {
    Title: string;
    PathOnClient: string;
    FirstPublishLocationId: string;
    Recording_Part_Key__c: string;
  },
  size: number,
  body: () => Readable | Promise<Readable>,
) {
  const boundary = `----bench${randomBytes(16).toString('hex')}`;
  const preamble = Buffer.from(
    `--${boundary}\r\n` +
      'Content-Disposition: form-data; name="entity_content"\r\n' +
      'Content-Type: application/json; charset=UTF-8\r\n\r\n' +
      `${JSON.stringify(entity)}\r\n` +
      `--${boundary}\r\n` +
      `Content-Disposition: form-data; name="VersionData"; filename="${entity.PathOnClient}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const epilogue = Buffer.from(`\r\n--${boundary}--\r\n`);
  const source = await body();
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
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
    source.on('error', (error) => {
      req.destroy();
      reject(error);
    });
    source.on('end', () => req.end(epilogue));
    source.pipe(req, { end: false });
  });
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
