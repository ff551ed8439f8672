import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GcsToneAudio } from '../../functions/src/adapters/storage/notification-tones.js';
import { startStorageServer, type StorageServer } from '../../local-servers/storage.js';
import { demoTone } from '../support/mp3.js';

/** The tones bucket (NOT-4) through the real client, against the local Storage server. */
const PROJECT = 'demo-switchboard';
const BUCKET = 'notification-tones';

let server: StorageServer;
let tones: GcsToneAudio;
let storage: Storage;

beforeAll(async () => {
  server = await startStorageServer();
  storage = new Storage({ apiEndpoint: server.url, projectId: PROJECT });
  await storage.createBucket(BUCKET);
  tones = new GcsToneAudio({ projectId: PROJECT, bucket: BUCKET, apiEndpoint: server.url });
});

afterAll(async () => {
  await server?.close();
});

describe('GcsToneAudio (NOT-4)', () => {
  it('when a tone is written, then exactly its bytes read back at its generation, as audio/mpeg', async () => {
    const bytes = demoTone();
    const generation = await tones.create('tones/t1/a.mp3', bytes);

    expect(await tones.read('tones/t1/a.mp3', generation)).toEqual(bytes);
    const [metadata] = await storage.bucket(BUCKET).file('tones/t1/a.mp3').getMetadata();
    expect(metadata).toMatchObject({ contentType: 'audio/mpeg', generation, size: String(bytes.length) });
  });

  it('when a name is already taken, then the write is refused and the audio there is left as it was', async () => {
    const generation = await tones.create('tones/t2/a.mp3', demoTone(10));

    await expect(tones.create('tones/t2/a.mp3', demoTone(20))).rejects.toMatchObject({ code: 412 });
    expect(await tones.read('tones/t2/a.mp3', generation)).toEqual(demoTone(10));
  });

  it('when a generation is deleted, then it is gone, a second delete finds it absent, and reading it gives nothing', async () => {
    const generation = await tones.create('tones/t3/a.mp3', demoTone(5));

    expect(await tones.delete('tones/t3/a.mp3', generation)).toBe('deleted');
    expect(await tones.delete('tones/t3/a.mp3', generation)).toBe('absent');
    expect(await tones.read('tones/t3/a.mp3', generation)).toBeUndefined();
  });

  it('when a delete names another generation than the live one, then the live object stays', async () => {
    const generation = await tones.create('tones/t4/a.mp3', demoTone(5));

    expect(await tones.delete('tones/t4/a.mp3', String(Number(generation) + 1000))).toBe('absent');
    expect(await tones.read('tones/t4/a.mp3', generation)).toEqual(demoTone(5));
  });

  it('when the bucket is listed, then only tone objects come back, with their generation and creation time, and nothing else of the bucket is touched', async () => {
    await storage.bucket(BUCKET).file('elsewhere/readme.txt').save('not a tone', { resumable: false });
    const generation = await tones.create('tones/t5/a.mp3', demoTone(5));

    const listed = await tones.list(100);

    expect(listed.map((o) => o.name)).not.toContain('elsewhere/readme.txt');
    expect(listed.find((o) => o.name === 'tones/t5/a.mp3')).toEqual({
      name: 'tones/t5/a.mp3',
      generation,
      createdAt: expect.any(Date),
    });
    await expect(tones.delete('elsewhere/readme.txt', '1')).rejects.toThrow('not a tone object');
  });
});
