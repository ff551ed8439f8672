import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CrmError } from '../../ports/crm.js';
import { failureFromNetwork, mayHeal, permanent } from './errors.js';

/**
 * One ContentVersion insert as multipart/form-data, built by hand and streamed: the JSON part
 * `entity_content` first, the binary part `VersionData` second (the order Salesforce documents). The
 * body is never held in memory: bytes flow from the source to the socket with backpressure, and
 * are counted and hashed on the way. jsforce's own request (and its `multipartFileFields`) would buffer it all.
 */

export interface MultipartUpload {
  url: URL;
  accessToken: string;
  entityContent: Record<string, unknown>;
  fileName: string;
  sizeBytes: number;
  body: AsyncIterable<Uint8Array>;
  /** Longest silence allowed (nothing sent, nothing received) before giving up. */
  idleTimeoutMs: number;
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** At most MAX_ANSWER_BYTES of the answer: an error page may be large, and only its code matters. */
  body: string;
  /** MD5 of the bytes sent, base64. */
  md5Base64: string;
}

const MAX_ANSWER_BYTES = 64 * 1024;

/** A file name safe inside a quoted header parameter: no quotes, backslashes or line breaks. */
const quotedSafe = (name: string) => name.replace(/["\\\r\n]/g, '_');

/**
 * Sends the upload and resolves with Salesforce's answer, whatever its status, and the MD5 of what
 * was sent. Rejects with a CrmError: `not_acknowledged` when no answer came (time-out, connection
 * lost) or the source ended before the announced number of bytes (retried within a budget:
 * `mayHeal`), `permanent` when it delivered more; either way the closing boundary is never sent,
 * so Salesforce stores nothing. An error of the source itself is
 * rethrown as it is.
 */
export function sendMultipart(upload: MultipartUpload): Promise<HttpAnswer> {
  const boundary = `----switchboard${randomBytes(16).toString('hex')}`;
  const preamble = Buffer.from(
    `--${boundary}\r\n` +
      'Content-Disposition: form-data; name="entity_content"\r\n' +
      'Content-Type: application/json; charset=UTF-8\r\n\r\n' +
      `${JSON.stringify(upload.entityContent)}\r\n` +
      `--${boundary}\r\n` +
      `Content-Disposition: form-data; name="VersionData"; filename="${quotedSafe(upload.fileName)}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
    'utf8',
  );
  const epilogue = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');

  let sourceError: unknown;
  const md5 = createHash('md5');
  let md5Base64: string | undefined;
  let sent = 0;
  // Piped, not iterated: a recording part is thousands of chunks, and a promise per chunk costs
  // CPU and garbage (the functions framework runs each request in a domain, which makes it worse).
  const framing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sent += chunk.length;
      if (sent > upload.sizeBytes) return done((sourceError = permanent('source_size_mismatch')));
      md5.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      // The source ended early (a read of the bucket cut short): a new read will most likely be whole.
      if (sent < upload.sizeBytes) return done((sourceError = mayHeal('source_ended_early')));
      md5Base64 = md5.digest('base64');
      done(null, epilogue);
    },
  });
  framing.push(preamble);
  const source =
    upload.body instanceof Readable ? upload.body : Readable.from(upload.body, { objectMode: false });
  // A source that failed before it came here (a read begun ahead) may have told nobody.
  sourceError = source.errored ?? undefined;
  source.once('error', (error) => (sourceError ??= error));

  const send = upload.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<HttpAnswer>((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      req.destroy();
      if (sourceError !== undefined) return reject(sourceError);
      reject(failureFromNetwork(error) ?? error);
    };

    const req = send(upload.url, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${upload.accessToken}`,
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Content-Length': String(preamble.length + upload.sizeBytes + epilogue.length),
        Accept: 'application/json',
      },
    });
    req.setTimeout(upload.idleTimeoutMs, () =>
      fail(new CrmError({ kind: 'not_acknowledged', reason: 'timeout' })),
    );
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on('data', (chunk: Buffer) => {
        if (kept >= MAX_ANSWER_BYTES) return;
        chunks.push(chunk.subarray(0, MAX_ANSWER_BYTES - kept));
        kept += Math.min(chunk.length, MAX_ANSWER_BYTES - kept);
      });
      res.on('error', fail);
      res.on('close', () => {
        if (!res.complete) fail(new CrmError({ kind: 'not_acknowledged', reason: 'connection_lost' }));
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        // An early answer (an error before the whole body was read): stop sending the rest.
        if (!req.writableFinished) req.destroy();
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          // Empty when Salesforce answered before the whole body was sent (an error, never a 2xx).
          md5Base64: md5Base64 ?? '',
        });
      });
    });

    pipeline(source, framing, req).catch(fail);
  });
}
