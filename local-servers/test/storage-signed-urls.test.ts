import { generateKeyPairSync } from 'node:crypto';
import { Storage, type Bucket } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStorageServer, type StorageServer } from '../storage.js';

/** V4 signed URLs as `getSignedUrl` makes them, read back from the server (smart-action media downloads). */
let server: StorageServer;
let bucket: Bucket;

beforeAll(async () => {
  server = await startStorageServer({ port: 0 });
  const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  const storage = new Storage({
    apiEndpoint: server.url,
    projectId: 'demo-switchboard',
    credentials: { client_email: 'signer@demo-switchboard.iam.gserviceaccount.com', private_key: privateKey },
  });
  [bucket] = await storage.createBucket('media');
  await bucket.file('media/s/r/1-clip').save(Buffer.from('the bytes'), { resumable: false });
});

afterAll(async () => {
  await server?.close();
});

const signedRead = async (minutes: number) =>
  (
    await bucket
      .file('media/s/r/1-clip')
      .getSignedUrl({ version: 'v4', action: 'read', expires: Date.now() + minutes * 60_000 })
  )[0];

describe('storage server: V4 signed URLs', () => {
  it('when a signed read URL is fetched before it expires, then it serves the object', async () => {
    const url = await signedRead(15);
    expect(new URL(url).pathname).toBe('/media/media/s/r/1-clip');
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('the bytes');
  });

  it('when a signed read URL is used to write, then it is refused and the object is unchanged', async () => {
    const res = await fetch(await signedRead(15), { method: 'PUT', body: 'other bytes' });
    expect(res.status).toBe(403);
    expect((await bucket.file('media/s/r/1-clip').download())[0].toString()).toBe('the bytes');
  });

  it('when a signed read URL has expired, then it is refused as GCS refuses it', async () => {
    const url = await signedRead(1);
    server.advanceTime(61_000);
    const res = await fetch(url);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('ExpiredToken');
  });
});
