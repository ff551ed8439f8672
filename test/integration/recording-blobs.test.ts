import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { Storage, type Bucket } from '@google-cloud/storage';
import { OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStorageServer, type StorageServer } from '../../local-servers/storage.js';
import { GcsRecordingBlobs } from '../../functions/src/adapters/storage/recording-blobs.js';
import { ObjectGenerationGone } from '../../functions/src/ports/recordings.js';

const PROJECT = 'demo-switchboard';
const BUCKET = 'recordings';

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

/** What a consumer sees: every byte it was given, and how the stream ended. */
async function consume(chunks: AsyncIterable<Uint8Array>): Promise<{ bytes: Buffer; error?: unknown }> {
  const parts: Buffer[] = [];
  try {
    for await (const chunk of chunks) parts.push(Buffer.from(chunk));
    return { bytes: Buffer.concat(parts) };
  } catch (error) {
    return { bytes: Buffer.concat(parts), error };
  }
}

let server: StorageServer;
let bucket: Bucket;
let blobs: GcsRecordingBlobs;

/** Uploads through the real client and returns the new generation. */
async function put(
  name: string,
  data: Buffer | string,
  options: { contentType?: string; metadata?: Record<string, string> } = {},
) {
  const file = bucket.file(name);
  await file.save(data, {
    resumable: false,
    ...(options.contentType ? { contentType: options.contentType } : {}),
    ...(options.metadata ? { metadata: { metadata: options.metadata } } : {}),
  });
  const [metadata] = await file.getMetadata();
  return { generation: String(metadata.generation), timeCreated: metadata.timeCreated ?? '' };
}

beforeAll(async () => {
  server = await startStorageServer();
  const storage = new Storage({ apiEndpoint: server.url, projectId: PROJECT });
  [bucket] = await storage.createBucket(BUCKET);
  blobs = new GcsRecordingBlobs({ projectId: PROJECT, apiEndpoint: server.url, pageSize: 2 });
});

afterAll(async () => {
  await server?.close();
});

describe('GcsRecordingBlobs.stat', () => {
  it('when the object exists, then its live generation, size, creation time, content type and metadata are returned', async () => {
    const { generation, timeCreated } = await put('stat/call-1.wav', 'RIFF....WAVE', {
      contentType: 'audio/wav',
      metadata: { sessionId: 'call-1' },
    });

    const object = await blobs.stat(BUCKET, 'stat/call-1.wav');

    expect(object).toEqual({
      bucket: BUCKET,
      name: 'stat/call-1.wav',
      generation,
      sizeBytes: 12,
      createdAt: new Date(timeCreated),
      contentType: 'audio/wav',
      metadata: { sessionId: 'call-1' },
    });
    expect(typeof object?.generation).toBe('string');
  });

  it('when the object has no custom metadata, then metadata is an empty object', async () => {
    await put('stat/plain.wav', 'x');
    expect((await blobs.stat(BUCKET, 'stat/plain.wav'))?.metadata).toEqual({});
  });

  it('when the object does not exist, then undefined', async () => {
    expect(await blobs.stat(BUCKET, 'stat/missing.wav')).toBeUndefined();
  });
});

describe('GcsRecordingBlobs.read', () => {
  const data = randomBytes(300_000);
  let generation: string;

  beforeAll(async () => {
    ({ generation } = await put('read/call.wav', data));
  });

  it('when a range is given, then exactly the bytes from start to end, both inclusive, come back', async () => {
    const bytes = await collect(blobs.read(BUCKET, 'read/call.wav', generation, { start: 100, end: 199 }));
    expect(bytes.length).toBe(100);
    expect(bytes.equals(data.subarray(100, 200))).toBe(true);

    const last = await collect(
      blobs.read(BUCKET, 'read/call.wav', generation, { start: 299_999, end: 299_999 }),
    );
    expect(last.equals(data.subarray(299_999))).toBe(true);
  });

  it('when no range is given, then the whole object comes back, in more than one chunk', async () => {
    let chunks = 0;
    const parts: Buffer[] = [];
    for await (const chunk of blobs.read(BUCKET, 'read/call.wav', generation)) {
      chunks += 1;
      parts.push(Buffer.from(chunk));
    }
    expect(Buffer.concat(parts).equals(data)).toBe(true);
    expect(chunks).toBeGreaterThan(1);
  });

  it('when the object was replaced by a newer generation, then reading the old one fails with ObjectGenerationGone', async () => {
    const first = await put('read/replaced.wav', 'first take');
    const second = await put('read/replaced.wav', 'second take');
    expect(second.generation).not.toBe(first.generation);

    const { bytes, error } = await consume(blobs.read(BUCKET, 'read/replaced.wav', first.generation));
    expect(bytes.length).toBe(0);
    expect(error).toBeInstanceOf(ObjectGenerationGone);
    expect(error).toMatchObject({
      bucket: BUCKET,
      objectName: 'read/replaced.wav',
      generation: first.generation,
    });
    // The live generation still reads.
    expect((await collect(blobs.read(BUCKET, 'read/replaced.wav', second.generation))).toString()).toBe(
      'second take',
    );
  });

  it('when a stream is made and not read, then nothing is downloaded until its first read', async () => {
    const { generation } = await put('read/later.wav', 'later');
    const stream = blobs.read(BUCKET, 'read/later.wav', generation);
    // The client is loaded and used by then: a download asked for at once would have begun.
    await blobs.stat(BUCKET, 'read/later.wav');
    expect(server.bytesServed(BUCKET, 'read/later.wav')).toBe(0);
    expect((await collect(stream)).toString()).toBe('later');
    expect(server.bytesServed(BUCKET, 'read/later.wav')).toBe(5);
  });

  it('when a read is started now, then the download begins before its first read, and its bytes read back whole, served once', async () => {
    const { generation } = await put('read/ahead.wav', data);
    const stream = blobs.read(
      BUCKET,
      'read/ahead.wav',
      generation,
      { start: 1000, end: 250_999 },
      { startNow: true },
    );
    for (let i = 0; i < 200 && server.bytesServed(BUCKET, 'read/ahead.wav') === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(server.bytesServed(BUCKET, 'read/ahead.wav')).toBeGreaterThan(0);

    expect((await collect(stream)).equals(data.subarray(1000, 251_000))).toBe(true);
    expect(server.bytesServed(BUCKET, 'read/ahead.wav')).toBe(250_000);
  });

  it('when a read started now fails before it is read, then nothing is thrown meanwhile and its first read fails with ObjectGenerationGone', async () => {
    const { generation: gone } = await put('read/ahead-gone.wav', 'bye');
    await bucket.file('read/ahead-gone.wav').delete();

    const stream = blobs.read(BUCKET, 'read/ahead-gone.wav', gone, { start: 0, end: 1 }, { startNow: true });
    for (let i = 0; i < 200 && !(stream as Readable).errored; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect((stream as Readable).errored).toBeInstanceOf(ObjectGenerationGone);

    const { bytes, error } = await consume(stream);
    expect(bytes.length).toBe(0);
    expect(error).toBeInstanceOf(ObjectGenerationGone);
  });

  it('when Storage refuses the read for another reason, then the read fails with that status, not ObjectGenerationGone', async () => {
    const { bytes, error } = await consume(
      blobs.read(BUCKET, 'read/call.wav', generation, { start: 400_000, end: 400_009 }),
    );
    expect(bytes.length).toBe(0);
    expect(error).not.toBeInstanceOf(ObjectGenerationGone);
    expect(error).toMatchObject({ code: 416 });
  });

  it('when the object was deleted, then a range read fails with ObjectGenerationGone', async () => {
    const { generation: gone } = await put('read/deleted.wav', 'bye');
    await bucket.file('read/deleted.wav').delete();

    const { error } = await consume(blobs.read(BUCKET, 'read/deleted.wav', gone, { start: 0, end: 1 }));
    expect(error).toBeInstanceOf(ObjectGenerationGone);
  });
});

describe('GcsRecordingBlobs.read with credentials', () => {
  it('when the client holds an access token, then the media GET carries it as a bearer token, with the range, and the bytes read back', async () => {
    const media = randomBytes(1000);
    const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
    // Stands in for Storage behind an endpoint that checks credentials, as production's does.
    const endpoint = createServer((request, response) => {
      seen.push({ url: request.url ?? '', headers: request.headers });
      const range = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? '');
      if (request.headers.authorization !== 'Bearer token-of-the-test' || !range) {
        response.writeHead(401).end();
        return;
      }
      response.writeHead(206).end(media.subarray(Number(range[1]), Number(range[2]) + 1));
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    try {
      const authClient = new OAuth2Client();
      authClient.setCredentials({ access_token: 'token-of-the-test', expiry_date: Date.now() + 86_400_000 });
      const signed = new GcsRecordingBlobs({
        projectId: PROJECT,
        apiEndpoint: `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`,
        authClient,
      });

      const bytes = await collect(signed.read(BUCKET, 'calls/signed.wav', '42', { start: 10, end: 509 }));

      expect(bytes.equals(media.subarray(10, 510))).toBe(true);
      expect(seen).toHaveLength(1);
      expect(seen[0]?.url).toBe('/storage/v1/b/recordings/o/calls%2Fsigned.wav?alt=media&generation=42');
      expect(seen[0]?.headers).toMatchObject({
        authorization: 'Bearer token-of-the-test',
        range: 'bytes=10-509',
      });
    } finally {
      await new Promise((resolve) => endpoint.close(resolve));
    }
  });
});

describe('GcsRecordingBlobs.delete', () => {
  it('when the generation is the live one, then it is deleted', async () => {
    const { generation } = await put('delete/live.wav', 'x');

    expect(await blobs.delete(BUCKET, 'delete/live.wav', generation)).toBe('deleted');
    expect(await blobs.stat(BUCKET, 'delete/live.wav')).toBeUndefined();
  });

  it('when the object was replaced since, then the old generation is absent and the newer object stays', async () => {
    const old = await put('delete/replaced.wav', 'old');
    const newer = await put('delete/replaced.wav', 'newer');

    expect(await blobs.delete(BUCKET, 'delete/replaced.wav', old.generation)).toBe('absent');
    const live = await blobs.stat(BUCKET, 'delete/replaced.wav');
    expect(live?.generation).toBe(newer.generation);
    expect((await collect(blobs.read(BUCKET, 'delete/replaced.wav', newer.generation))).toString()).toBe(
      'newer',
    );
  });

  it('when the object does not exist (or was deleted already), then absent', async () => {
    const { generation } = await put('delete/twice.wav', 'x');
    expect(await blobs.delete(BUCKET, 'delete/twice.wav', generation)).toBe('deleted');
    expect(await blobs.delete(BUCKET, 'delete/twice.wav', generation)).toBe('absent');
    expect(await blobs.delete(BUCKET, 'delete/never-there.wav', '1234')).toBe('absent');
  });
});

describe('GcsRecordingBlobs.list', () => {
  it('when more objects match than fit a page, then pages in name order chain through nextPageToken', async () => {
    const c = await put('list/c.wav', 'ccc', { contentType: 'audio/wav' });
    await put('list/a.wav', 'a');
    await put('list/b.wav', 'bb');
    await put('listing-is-not-list/x.wav', 'x');
    await put('other/z.wav', 'z');

    const first = await blobs.list(BUCKET, 'list/');
    expect(first.objects.map((o) => o.name)).toEqual(['list/a.wav', 'list/b.wav']);
    expect(first.nextPageToken).toEqual(expect.any(String));

    const second = await blobs.list(BUCKET, 'list/', { pageToken: first.nextPageToken! });
    expect(second.objects.map((o) => o.name)).toEqual(['list/c.wav']);
    expect(second.nextPageToken).toBeUndefined();
    expect(second.objects[0]).toEqual({
      bucket: BUCKET,
      name: 'list/c.wav',
      generation: c.generation,
      sizeBytes: 3,
      createdAt: new Date(c.timeCreated),
      contentType: 'audio/wav',
      metadata: {},
    });
  });

  it('when a listing starts after a name, then it goes on from the next object, without that one', async () => {
    for (const name of ['after/a.wav', 'after/b.wav', 'after/c.wav', 'after/d.wav']) await put(name, 'x');
    const names = async (page: Promise<{ objects: { name: string }[]; nextPageToken?: string }>) => {
      const { objects, nextPageToken } = await page;
      return { names: objects.map((o) => o.name), more: nextPageToken !== undefined };
    };

    // The page is one short: the name started after took a place in it.
    expect(await names(blobs.list(BUCKET, 'after/', { startAfter: 'after/a.wav' }))).toEqual({
      names: ['after/b.wav'],
      more: true,
    });
    expect(await names(blobs.list(BUCKET, 'after/', { startAfter: 'after/c.wav' }))).toEqual({
      names: ['after/d.wav'],
      more: false,
    });
    // A name that is not an object: the listing starts at the next name in order.
    expect(await names(blobs.list(BUCKET, 'after/', { startAfter: 'after/b' }))).toEqual({
      names: ['after/b.wav', 'after/c.wav'],
      more: true,
    });
    // One object a page: the page holding only the name started after is skipped, not returned empty.
    const onePerPage = new GcsRecordingBlobs({ projectId: PROJECT, apiEndpoint: server.url, pageSize: 1 });
    expect(await names(onePerPage.list(BUCKET, 'after/', { startAfter: 'after/b.wav' }))).toEqual({
      names: ['after/c.wav'],
      more: true,
    });
    expect(await names(onePerPage.list(BUCKET, 'after/', { startAfter: 'after/d.wav' }))).toEqual({
      names: [],
      more: false,
    });
  });

  it('when nothing matches, then an empty page without a token', async () => {
    expect(await blobs.list(BUCKET, 'nothing-here/')).toEqual({ objects: [] });
  });
});
