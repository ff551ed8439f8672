import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Firestore } from '@google-cloud/firestore';
import { Storage } from '@google-cloud/storage';
import { FirestoreSmartActionRequests } from '../functions/src/adapters/firestore/smart-actions.js';
import { newRequest } from '../functions/src/domain/smart-actions/actions.js';
import { startStorageServer } from '../local-servers/storage.js';
import { startFirestoreEmulator } from '../scripts/stack/emulators.js';
import { finalizeNotifier } from '../scripts/stack/recordings.js';
import { sendSigned } from '../test/support/platform.js';

/**
 * `npm run bench -- media`: what a video costs the functions' memory. platformEvents and mediaReady
 * run in a child process; a 200 MB video and a 100 KB photo go from this process (the SDK) to the
 * local Storage server through the upload URLs, and the child's resident memory (VmRSS) and its peak
 * (VmHWM) are read from /proc before and after each, until the file is accepted.
 */
const PROJECT = 'demo-bench-media';
const BUCKET = 'bench-media';
const SECRET = 'bench-media-secret-0123456789abcdef0123';
const MP4_HEAD = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypisomxxxxisomavc1')]);
MP4_HEAD.writeUInt32BE(0x200, 12);
const PNG_HEAD = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const memoryOf = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
};

export async function run() {
  const firestore = await startFirestoreEmulator();
  const finalized = finalizeNotifier();
  const storage = await startStorageServer({ onFinalize: finalized.onFinalize });
  const env = {
    ...process.env,
    GOOGLE_CLOUD_PROJECT: PROJECT,
    METADATA_SERVER_DETECTION: 'none',
    FIRESTORE_EMULATOR_HOST: firestore.host,
    STORAGE_EMULATOR_HOST: storage.url,
    MEDIA_BUCKET: BUCKET,
    PLATFORM_SIGNING_SECRET: SECRET,
    LOG_LEVEL: 'ERROR',
  };
  process.env.FIRESTORE_EMULATOR_HOST = firestore.host;
  process.env.METADATA_SERVER_DETECTION = 'none';
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/media-functions.ts'], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const db = new Firestore({ projectId: PROJECT });
  try {
    const urls = JSON.parse(
      await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve)),
    ) as { platformEvents: string; mediaReady: string };
    finalized.deliverTo(urls.mediaReady);
    await new Storage({ apiEndpoint: storage.url, projectId: PROJECT }).createBucket(BUCKET);
    const signed = async (path: string, body: unknown) =>
      (
        await sendSigned(`${urls.platformEvents}${path}`, JSON.stringify(body), { secret: SECRET })
      ).json() as Promise<{ uploads?: { uploadUrl: string; mediaId: string }[] }>;
    for (const [sequence, type, fields] of [
      [
        0,
        'session.created',
        {
          kind: 'call',
          channel: 'mobile',
          language: 'en',
          queue: { id: 'q', menuPath: ['Q'] },
          consumer: { id: 'c' },
        },
      ],
      [1, 'session.assigned', { agent: { id: 'ava' } }],
    ] as const)
      await signed('/v1/events', {
        schemaVersion: 1,
        eventId: `b-${sequence}`,
        sessionId: 'bench-call',
        sequence,
        occurredAt: new Date().toISOString(),
        type,
        ...fields,
      });
    const requests = new FirestoreSmartActionRequests(db);

    const measure = async (label: string, action: 'video' | 'photos', head: Buffer, sizeBytes: number) => {
      const id = `bench-${label}`;
      await requests.create('bench-call', () => ({
        create: newRequest({
          id,
          sessionId: 'bench-call',
          kind: 'call',
          action,
          agentId: 'ava',
          clientRequestId: id,
          now: new Date(),
        }),
      }));
      const ask = await signed('/v1/sessions/bench-call/media-uploads', {
        askId: id,
        requestId: id,
        files: [{ sizeBytes }],
      });
      const [slot] = ask.uploads ?? [];
      const before = memoryOf(child.pid!);
      const body = Buffer.alloc(sizeBytes, 1);
      head.copy(body);
      const started = performance.now();
      const put = await fetch(slot!.uploadUrl, { method: 'PUT', body });
      if (!put.ok) throw new Error(`upload failed: ${put.status}`);
      for (;;) {
        const record = (await db.doc(`sessions/bench-call/media/${slot!.mediaId}`).get()).data();
        if (record?.state === 'accepted') break;
        if (record?.state === 'refused') throw new Error(`refused: ${String(record.reason)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const after = memoryOf(child.pid!);
      console.log(
        JSON.stringify({
          bench: 'media',
          file: label,
          sizeMb: sizeBytes / 1e6,
          upload_to_accepted_ms: Math.round(performance.now() - started),
          functions_rss_mb_before: Math.round(before.rssMb),
          functions_rss_mb_after: Math.round(after.rssMb),
          functions_peak_growth_mb: Math.round(after.peakMb - before.peakMb),
        }),
      );
    };
    await measure('photo-100kB', 'photos', PNG_HEAD, 100_000);
    await measure('video-200MB', 'video', MP4_HEAD, 200_000_000);
  } finally {
    child.kill('SIGTERM');
    await db.terminate();
    await storage.close();
    await firestore.stop();
  }
}
