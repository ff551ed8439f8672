import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Storage, type Bucket, type File, type GetFilesOptions } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStorageServer, type StorageServer, type StoredObjectMetadata } from '../storage.js';

const MiB = 1024 * 1024;
const CHUNK_SIZE = 256 * 1024 * 4;

const md5 = (data: Buffer) => createHash('md5').update(data).digest('base64');

/** The client reports JSON-API failures as ApiError.code, failures of resumable-session calls as GaxiosError.status. */
const httpStatusOf = (error: unknown): unknown => {
  const { code, status } = error as { code?: unknown; status?: unknown };
  return typeof code === 'number' ? code : status;
};

let server: StorageServer;
let storage: Storage;
let bucket: Bucket;
let recording: Buffer;
const finalized: StoredObjectMetadata[] = [];

beforeAll(async () => {
  server = await startStorageServer({ port: 0, onFinalize: (object) => void finalized.push(object) });
  // A custom apiEndpoint is enough for the client to skip credentials entirely (verified: no ADC lookup).
  storage = new Storage({ apiEndpoint: server.url, projectId: 'demo-switchboard' });
  [bucket] = await storage.createBucket('recordings');
  recording = randomBytes(70 * MiB);
});

afterAll(async () => {
  await server?.close();
});

describe('storage server: large uploads through the real client', () => {
  it('when a 70 MB recording is saved in one multipart request, then it downloads with the same MD5 and its metadata has size, md5Hash and generation', async () => {
    const file = bucket.file('calls/2024/single-shot.wav');
    await file.save(recording, { resumable: false, contentType: 'audio/wav' });

    const [downloaded] = await file.download();
    expect(md5(downloaded)).toBe(md5(recording));
    const [metadata] = await file.getMetadata();
    expect(metadata.size).toBe(String(70 * MiB));
    expect(metadata.md5Hash).toBe(md5(recording));
    expect(metadata.generation).toMatch(/^\d+$/);
    expect(metadata.contentType).toBe('audio/wav');
  });

  it('when a 70 MB recording is saved as a resumable upload in a single request, then it round-trips with the same MD5', async () => {
    const file = bucket.file('calls/2024/resumable-single.wav');
    await file.save(recording, { resumable: true });

    const [downloaded] = await file.download();
    expect(md5(downloaded)).toBe(md5(recording));
  });

  it('when a 70 MB recording is saved as a resumable upload in 1 MiB chunks, then it round-trips with the same MD5', async () => {
    const file = bucket.file('calls/2024/resumable-chunked.wav');
    await file.save(recording, { resumable: true, chunkSize: CHUNK_SIZE });

    const [downloaded] = await file.download();
    expect(md5(downloaded)).toBe(md5(recording));
    const [metadata] = await file.getMetadata();
    expect(metadata.size).toBe(String(recording.length));
  });

  it('when a stream is piped into createWriteStream({ resumable: true }), then the client accepts the stored hashes', async () => {
    const file = bucket.file('calls/2024/streamed.wav');
    const pieces = Array.from({ length: 70 }, (_, i) => recording.subarray(i * MiB, (i + 1) * MiB));
    await pipeline(Readable.from(pieces), file.createWriteStream({ resumable: true }));

    const [metadata] = await file.getMetadata();
    expect(metadata.md5Hash).toBe(md5(recording));
  });

  it('when bytes 50 MiB to 70 MiB - 1 are requested, then exactly those bytes come back', async () => {
    const file = bucket.file('calls/2024/single-shot.wav');
    const [range] = await file.download({ start: 50 * MiB, end: 70 * MiB - 1 });
    expect(range.length).toBe(20 * MiB);
    expect(range.equals(recording.subarray(50 * MiB, 70 * MiB))).toBe(true);

    const [tail] = await file.download({ start: 70 * MiB - 10 });
    expect(tail.equals(recording.subarray(70 * MiB - 10))).toBe(true);
  });

  it('when an object is downloaded whole and in ranges, then the server counts every byte it served of it', async () => {
    const file = bucket.file('calls/2024/counted.wav');
    await file.save(recording.subarray(0, 3 * MiB), { resumable: false });
    expect(server.bytesServed('recordings', 'calls/2024/counted.wav')).toBe(0);

    await file.download();
    await file.download({ start: MiB, end: 2 * MiB - 1 });
    expect(server.bytesServed('recordings', 'calls/2024/counted.wav')).toBe(4 * MiB);
    expect(server.bytesServed('recordings', 'calls/2024/other.wav')).toBe(0);
  });
});

describe('storage server: preconditions and deletion', () => {
  it('when deleting with a wrong ifGenerationMatch, then it fails with 412 and the object stays', async () => {
    const file = bucket.file('preconditions/delete-me.txt');
    await file.save('keep me', { resumable: false });
    const [{ generation }] = await file.getMetadata();

    const error = await file.delete({ ifGenerationMatch: Number(generation) + 1 }).catch((e: unknown) => e);
    expect(httpStatusOf(error)).toBe(412);
    expect((error as { errors?: { reason?: string }[] }).errors?.[0]?.reason).toBe('conditionNotMet');
    expect((await file.exists())[0]).toBe(true);
  });

  it('when deleting with the right ifGenerationMatch, then the object is gone and a later get is 404', async () => {
    const file = bucket.file('preconditions/delete-me.txt');
    const [{ generation }] = await file.getMetadata();

    await file.delete({ ifGenerationMatch: Number(generation) });
    const error = await file.getMetadata().catch((e: unknown) => e);
    expect(httpStatusOf(error)).toBe(404);
  });

  it('when uploading with ifGenerationMatch: 0 over an existing object, then both upload kinds fail with 412 and the object is unchanged', async () => {
    const file = bucket.file('preconditions/exists.txt');
    await file.save('original', { resumable: false });
    const [before] = await file.getMetadata();

    const simple = await file
      .save('clobber', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } })
      .catch((e: unknown) => e);
    const resumable = await file
      .save('clobber', { resumable: true, preconditionOpts: { ifGenerationMatch: 0 } })
      .catch((e: unknown) => e);

    expect(httpStatusOf(simple)).toBe(412);
    expect(httpStatusOf(resumable)).toBe(412);
    const [after] = await file.getMetadata();
    expect(after.generation).toBe(before.generation);
    expect((await file.download())[0].toString()).toBe('original');
  });

  it('when reading a generation that is not the live one, then it is 404', async () => {
    const file = bucket.file('preconditions/exists.txt');
    const [{ generation }] = await file.getMetadata();

    const [content] = await bucket.file(file.name, { generation: Number(generation) }).download();
    expect(content.toString()).toBe('original');
    const error = await bucket
      .file(file.name, { generation: Number(generation) - 1 })
      .download()
      .catch((e: unknown) => e);
    expect(httpStatusOf(error)).toBe(404);
  });

  it('when the bucket does not exist, then uploads fail with 404 instead of creating it', async () => {
    const file = storage.bucket('no-such-bucket').file('x.txt');
    const error = await file.save('x', { resumable: false }).catch((e: unknown) => e);
    expect(httpStatusOf(error)).toBe(404);
    expect((await storage.bucket('no-such-bucket').exists())[0]).toBe(false);
  });
});

describe('storage server: metadata and listing', () => {
  it('when custom metadata is patched with ifMetagenerationMatch, then it merges and metageneration goes up', async () => {
    const file = bucket.file('meta/call.json');
    await file.save('{}', { resumable: false, metadata: { metadata: { caller: '+33 1 23' } } });

    await file.setMetadata(
      { contentType: 'application/json', metadata: { agent: 'a-17' } },
      { ifMetagenerationMatch: 1 },
    );
    const [metadata] = await file.getMetadata();
    expect(metadata.metadata).toEqual({ caller: '+33 1 23', agent: 'a-17' });
    expect(metadata.contentType).toBe('application/json');
    expect(metadata.metageneration).toBe('2');

    const stale = await file
      .setMetadata({ metadata: { agent: 'b' } }, { ifMetagenerationMatch: 1 })
      .catch((e) => e);
    expect(httpStatusOf(stale)).toBe(412);
  });

  it('when listing with a prefix and maxResults, then pages come sorted by name and chain through pageToken', async () => {
    const names = [
      'list/c.wav',
      'list/a.wav',
      'list/sub/d.wav',
      'list/b.wav',
      'list/sub/e.wav',
      'other/z.wav',
    ];
    await Promise.all(names.map((n) => bucket.file(n).save(n, { resumable: false })));

    const [first, next] = await bucket.getFiles({ prefix: 'list/', maxResults: 2, autoPaginate: false });
    expect(first.map((f) => f.name)).toEqual(['list/a.wav', 'list/b.wav']);
    expect(next).toMatchObject({ pageToken: expect.any(String) });
    const [second] = await bucket.getFiles({ ...next, autoPaginate: false });
    expect(second.map((f) => f.name)).toEqual(['list/c.wav', 'list/sub/d.wav']);

    const pages: string[][] = [];
    let query: GetFilesOptions | null = { prefix: 'list/', maxResults: 2, autoPaginate: false };
    while (query) {
      const [files, nextQuery]: [File[], GetFilesOptions | null, unknown] = await bucket.getFiles(query);
      pages.push(files.map((f) => f.name));
      query = nextQuery;
    }
    expect(pages).toEqual([
      ['list/a.wav', 'list/b.wav'],
      ['list/c.wav', 'list/sub/d.wav'],
      ['list/sub/e.wav'],
    ]);
  });

  it('when listing with a delimiter, then deeper names collapse into prefixes', async () => {
    const [files, , response] = await bucket.getFiles({
      prefix: 'list/',
      delimiter: '/',
      autoPaginate: false,
    });
    expect(files.map((f) => f.name)).toEqual(['list/a.wav', 'list/b.wav', 'list/c.wav']);
    expect((response as { prefixes?: string[] }).prefixes).toEqual(['list/sub/']);
  });
});

describe('storage server: seeded objects', () => {
  it('when objects are seeded out of order with past creation times, then they read back as written then, list in name order through deletes and pages, and notify nobody', async () => {
    const before = finalized.length;
    const written = new Date('2026-01-02T03:04:05.000Z');
    const names = ['seed/c.wav', 'seed/a.wav', 'seed/e.wav', 'seed/b.wav', 'seed/d.wav'];
    await server.seedObjects(
      'recordings',
      names.map((name) => ({ name, data: name, timeCreated: written, metadata: { 'session-id': 's1' } })),
    );
    await server.seedObjects('recordings', [{ name: 'seed/empty.wav', timeCreated: written }]);

    const [metadata] = await bucket.file('seed/b.wav').getMetadata();
    expect(metadata).toMatchObject({ timeCreated: written.toISOString(), size: '10' });
    expect(metadata.md5Hash).toBe(md5(Buffer.from('seed/b.wav')));
    expect(metadata.metadata).toEqual({ 'session-id': 's1' });
    const [bytes] = await bucket.file('seed/b.wav').download();
    expect(bytes.toString()).toBe('seed/b.wav');
    expect((await bucket.file('seed/empty.wav').getMetadata())[0].size).toBe('0');

    await bucket.file('seed/b.wav').delete();
    const pages: string[][] = [];
    let query: GetFilesOptions | null = { prefix: 'seed/', maxResults: 2, autoPaginate: false };
    while (query) {
      const [files, nextQuery]: [File[], GetFilesOptions | null, unknown] = await bucket.getFiles(query);
      pages.push(files.map((f) => f.name));
      query = nextQuery;
    }
    expect(pages).toEqual([['seed/a.wav', 'seed/c.wav'], ['seed/d.wav', 'seed/e.wav'], ['seed/empty.wav']]);
    const [fromD] = await bucket.getFiles({
      prefix: 'seed/',
      startOffset: 'seed/d.wav',
      autoPaginate: false,
    });
    expect(fromD.map((f) => f.name)).toEqual(['seed/d.wav', 'seed/e.wav', 'seed/empty.wav']);
    expect(finalized.length).toBe(before);
  });

  it('when a bucket holds many seeded objects, then every page lists each once, in name order', async () => {
    const count = 5_000;
    const names = Array.from(
      { length: count },
      (_, i) => `many/${String((i * 7919) % count).padStart(5, '0')}`,
    );
    await server.seedObjects(
      'recordings',
      names.map((name) => ({ name, timeCreated: new Date() })),
    );
    const listed: string[] = [];
    let query: GetFilesOptions | null = { prefix: 'many/', maxResults: 1000, autoPaginate: false };
    while (query) {
      const [files, nextQuery]: [File[], GetFilesOptions | null, unknown] = await bucket.getFiles(query);
      listed.push(...files.map((f) => f.name));
      query = nextQuery;
    }
    expect(listed).toEqual([...names].sort());
  });
});

describe('storage server: finalize notifications', () => {
  it('when uploads of each kind finish, then onFinalize is called once per upload with the stored generation', async () => {
    const before = finalized.length;
    const file = bucket.file('notify/ping.txt');

    await file.save('one', { resumable: false });
    const [first] = await file.getMetadata();
    await file.save(randomBytes(3 * CHUNK_SIZE), { resumable: true, chunkSize: CHUNK_SIZE });
    const [second] = await file.getMetadata();

    const calls = finalized.slice(before);
    expect(calls.map((c) => [c.name, c.generation])).toEqual([
      [file.name, first.generation],
      [file.name, second.generation],
    ]);
    expect(BigInt(second.generation!)).toBeGreaterThan(BigInt(first.generation!));
    expect(calls[1]?.size).toBe(String(3 * CHUNK_SIZE));
  });
});

describe('storage server: the resumable protocol on the wire', () => {
  it('when chunks arrive with Content-Range, then incomplete ones get 308 with Range, resent bytes are skipped and the last one finalizes', async () => {
    const data = randomBytes(600 * 1024);
    const start = await fetch(
      `${server.url}/upload/storage/v1/b/recordings/o?uploadType=resumable&name=wire.bin`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Upload-Content-Type': 'audio/wav' },
        body: JSON.stringify({ metadata: { source: 'wire' } }),
      },
    );
    const session = start.headers.get('location')!;
    const put = (range: string, body?: Buffer) =>
      fetch(session, { method: 'PUT', headers: { 'Content-Range': range }, body });

    const empty = await put('bytes */*');
    expect([empty.status, empty.headers.get('range')]).toEqual([308, null]);
    const first = await put('bytes 0-262143/*', data.subarray(0, 262144));
    expect([first.status, first.headers.get('range')]).toEqual([308, 'bytes=0-262143']);
    // Resending from 0 (as after a lost reply) must not duplicate the first chunk.
    const resent = await put('bytes 0-524287/*', data.subarray(0, 524288));
    expect(resent.headers.get('range')).toBe('bytes=0-524287');
    const status = await put(`bytes */${data.length}`);
    expect([status.status, status.headers.get('range')]).toEqual([308, 'bytes=0-524287']);
    const last = await put(`bytes 524288-${data.length - 1}/${data.length}`, data.subarray(524288));
    const object = (await last.json()) as StoredObjectMetadata;

    expect(last.status).toBe(200);
    expect(object).toMatchObject({ size: String(data.length), md5Hash: md5(data), contentType: 'audio/wav' });
    expect(object.metadata).toEqual({ source: 'wire' });
    const again = await put(`bytes */${data.length}`);
    expect(again.status).toBe(200);
  });

  it('when the final chunk carries an X-Goog-Hash that does not match, then the upload is rejected with 400', async () => {
    const start = await fetch(
      `${server.url}/upload/storage/v1/b/recordings/o?uploadType=resumable&name=bad-hash.bin`,
      {
        method: 'POST',
      },
    );
    const response = await fetch(start.headers.get('location')!, {
      method: 'PUT',
      headers: { 'Content-Range': 'bytes 0-4/5', 'X-Goog-Hash': `md5=${md5(Buffer.from('other'))}` },
      body: 'hello',
    });
    expect(response.status).toBe(400);
    expect((await bucket.file('bad-hash.bin').exists())[0]).toBe(false);
  });
});

describe('storage server: STORAGE_EMULATOR_HOST', () => {
  it('when the client is configured through STORAGE_EMULATOR_HOST, then its unprefixed JSON-API paths work too', async () => {
    const previous = process.env.STORAGE_EMULATOR_HOST;
    process.env.STORAGE_EMULATOR_HOST = server.url;
    let viaEnv: Storage;
    try {
      viaEnv = new Storage({ projectId: 'demo-switchboard' });
    } finally {
      if (previous === undefined) delete process.env.STORAGE_EMULATOR_HOST;
      else process.env.STORAGE_EMULATOR_HOST = previous;
    }
    const file = viaEnv.bucket('recordings').file('env/hello world.txt');

    await file.save('hello', { resumable: true });
    expect((await file.download())[0].toString()).toBe('hello');
    expect((await file.getMetadata())[0].size).toBe('5');
    await file.delete();
    expect((await file.exists())[0]).toBe(false);
  });
});

describe('storage server: buckets', () => {
  it('when a bucket still holds objects, then deleting it fails with 409, and once empty it can be deleted', async () => {
    const [scratch] = await storage.createBucket('scratch');
    await scratch.file('x').save('x', { resumable: false });

    const error = await scratch.delete().catch((e: unknown) => e);
    expect(httpStatusOf(error)).toBe(409);
    await scratch.file('x').delete();
    await scratch.delete();
    expect((await scratch.exists())[0]).toBe(false);
  });
});

describe('storage server: moved forward in time', () => {
  it('when the server is moved 7 days on, then objects written afterwards are created and updated 7 days on, in their notifications too, while older objects keep their times', async () => {
    const DAY = 86_400_000;
    const notified: StoredObjectMetadata[] = [];
    const moved = await startStorageServer({ onFinalize: (object) => void notified.push(object) });
    try {
      const client = new Storage({ apiEndpoint: moved.url, projectId: 'demo-switchboard' });
      const [movedBucket] = await client.createBucket('moved-recordings');
      await movedBucket.file('before.wav').save('before', { resumable: false });
      const [before] = await movedBucket.file('before.wav').getMetadata();

      expect(() => moved.advanceTime(-1)).toThrow(/forward/);
      moved.advanceTime(7 * DAY);
      const machineTime = Date.now();
      await movedBucket.file('after.wav').save('after', { resumable: false });
      const [after] = await movedBucket.file('after.wav').getMetadata();

      const created = Date.parse(after.timeCreated ?? '');
      expect(created - machineTime).toBeGreaterThanOrEqual(7 * DAY - 1000);
      expect(created - machineTime).toBeLessThan(8 * DAY);
      expect(after.updated).toBe(after.timeCreated);
      expect(notified.find((o) => o.name === 'after.wav')?.timeCreated).toBe(after.timeCreated);
      expect(BigInt(after.generation ?? 0)).toBeGreaterThan(BigInt(before.generation ?? 0));

      const [unchanged] = await movedBucket.file('before.wav').getMetadata();
      expect(unchanged.timeCreated).toBe(before.timeCreated);
      expect(Date.parse(before.timeCreated ?? '')).toBeLessThanOrEqual(machineTime);
      await movedBucket.file('before.wav').setMetadata({ metadata: { seen: 'yes' } });
      const [patched] = await movedBucket.file('before.wav').getMetadata();
      expect(patched.timeCreated).toBe(before.timeCreated);
      expect(Date.parse(patched.updated ?? '') - machineTime).toBeGreaterThanOrEqual(7 * DAY - 1000);
    } finally {
      await moved.close();
    }
  });
});
