import { createHash, generateKeyPairSync } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreRecordingPlans } from '../../functions/src/adapters/firestore/recording-plans.js';
import { SalesforceCrm } from '../../functions/src/adapters/salesforce/salesforce-crm.js';
import { GcsRecordingBlobs } from '../../functions/src/adapters/storage/recording-blobs.js';
import type { RecordingsDeps } from '../../functions/src/app/recordings/deps.js';
import { planRecording } from '../../functions/src/app/recordings/plan-recording.js';
import { runPartTask } from '../../functions/src/app/recordings/upload-tasks.js';
import { CLAIM_MS, type RecordingPlan } from '../../functions/src/domain/recordings/plan.js';
import type { Session } from '../../functions/src/domain/sessions/session.js';
import { configureLogs } from '../../functions/src/log.js';
import { systemClock } from '../../functions/src/ports/clock.js';
import type { RecordingPlans } from '../../functions/src/ports/recordings.js';
import { startSalesforceServer, type SalesforceServer } from '../../local-servers/salesforce.js';
import { startStorageServer, type StorageServer } from '../../local-servers/storage.js';

/**
 * One worker per recording, through the Firestore emulator, our Storage server and jsforce against
 * the Salesforce-compatible server: a worker that dies holding a recording keeps every other task
 * off it until its claim lapses, and then its task's retry takes it over and finishes it, sending
 * nothing twice.
 */
const PROJECT = 'demo-switchboard-worker-claims';
const BUCKET = 'claims-recordings';
const CLIENT_ID = '3MVG9-switchboard-claims';
const USERNAME = 'claims@switchboard.example';
const CASE_ID = '500000000000031AAA';
const PART_BYTES = 1000;
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

let storage: StorageServer;
let salesforce: SalesforceServer;
let db: Firestore;
let gcs: Storage;

beforeAll(async () => {
  configureLogs({ sink: () => {} });
  storage = await startStorageServer();
  salesforce = await startSalesforceServer({
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    clientId: CLIENT_ID,
    username: USERNAME,
  });
  db = new Firestore({ projectId: PROJECT, databaseId: 'worker-claims' });
  gcs = new Storage({ apiEndpoint: storage.url, projectId: PROJECT });
  await gcs.createBucket(BUCKET);
});

afterAll(async () => {
  await db?.terminate();
  await salesforce?.close();
  await storage?.close();
});

/** A worker process that dies as the CRM acknowledges part `at`: its write never happens, nor anything after. */
class DyingPlans implements RecordingPlans {
  dead = false;
  constructor(
    private readonly inner: RecordingPlans,
    private readonly at: number,
  ) {}
  create(plan: RecordingPlan) {
    return this.inner.create(plan);
  }
  get(planId: string) {
    return this.inner.get(planId);
  }
  getMany(planIds: readonly string[]) {
    return this.inner.getMany(planIds);
  }
  withStatus(status: RecordingPlan['status'], limit: number) {
    return this.inner.withStatus(status, limit);
  }
  overdue(...args: Parameters<RecordingPlans['overdue']>) {
    return this.inner.overdue(...args);
  }
  async update(planId: string, change: (plan: RecordingPlan) => RecordingPlan | undefined) {
    const plan = await this.inner.get(planId);
    const next = plan && change(plan);
    if (this.dead || (next && next.parts[this.at]!.uploaded && !plan.parts[this.at]!.uploaded)) {
      this.dead = true;
      return new Promise<never>(() => {});
    }
    return this.inner.update(planId, change);
  }
}

describe('a worker that dies holding a recording', () => {
  it('when it dies after the CRM stored a part, then other tasks stop, its retry waits for the claim to lapse, then takes over and sends the rest once', async () => {
    const name = 'recordings/s-claims/r-1.wav';
    const bytes = Buffer.alloc(3 * PART_BYTES);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff;
    await gcs.bucket(BUCKET).file(name).save(bytes, { resumable: false });

    let now = Date.now();
    const crm = new SalesforceCrm(
      {
        loginUrl: salesforce.url,
        clientId: CLIENT_ID,
        username: USERNAME,
        privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        apiVersion: '62.0',
      },
      systemClock,
    );
    const plans = new FirestoreRecordingPlans(db);
    const enqueued: string[] = [];
    const deps = (planStore: RecordingPlans): RecordingsDeps => ({
      plans: planStore,
      blobs: new GcsRecordingBlobs({ projectId: PROJECT, apiEndpoint: storage.url }),
      tasks: {
        enqueuePlanning: async () => undefined,
        enqueuePartUpload: async (_, round, part) => void enqueued.push(`r${round}-p${part}`),
        schedulePurge: async () => undefined,
        schedulePartUpload: async () => undefined,
        schedulePurgeAgain: async () => undefined,
      },
      crm: () => crm,
      sessions: {
        getSession: async () => ({ crm: { system: 'salesforce', recordId: CASE_ID } }) as unknown as Session,
      },
      clock: { now: () => new Date(now) },
      bucket: BUCKET,
      partSizeBytes: PART_BYTES,
    });
    const planned = await planRecording(deps(plans), { bucket: BUCKET, name, source: 'bucket' });
    if (!('plan' in planned)) throw new Error('not planned');
    const planId = planned.plan.id;
    enqueued.length = 0;
    const files = () => salesforce.files().filter((f) => f.Recording_Part_Key__c?.startsWith(`${planId}:`));
    const served = () => storage.bytesServed(BUCKET, name);

    // The first delivery stores part 1 in the CRM and dies before it writes so.
    const dying = new DyingPlans(plans, 0);
    void runPartTask(deps(dying), { planId, round: 0, partIndex: 0 });
    const stuck = async () => {
      for (let i = 0; i < 200 && !dying.dead; i++) await new Promise((r) => setTimeout(r, 25));
      return dying.dead;
    };
    expect(await stuck()).toBe(true);
    // Part 2 streams while part 1's acknowledgement is written: it may have landed too, or not.
    expect(files().length).toBeGreaterThanOrEqual(1);
    const servedByTheDead = served();

    // Another task (a late announcement's) finds the claim and stops; the task's own retry waits.
    now += 60_000;
    expect(await runPartTask(deps(plans), { planId, round: 0, partIndex: 1 })).toEqual({ outcome: 'done' });
    const retry = await runPartTask(deps(plans), { planId, round: 0, partIndex: 0 });
    expect(retry).toMatchObject({
      outcome: 'retry',
      reason: 'claimed_by_another_delivery',
      retryAfterSeconds: CLAIM_MS / 1000 - 60,
    });
    expect(served()).toBe(servedByTheDead);
    expect(enqueued).toEqual([]);

    // Once the claim has lapsed, the retry takes over: part 1 was in flight, so it is looked up.
    now += CLAIM_MS;
    const requestsBefore = salesforce.requests().length;
    expect(await runPartTask(deps(plans), { planId, round: 0, partIndex: 0 })).toEqual({ outcome: 'done' });
    const plan = (await plans.get(planId))!;
    expect(plan.status).toBe('deleted');
    expect(plan.worker).toBeNull();
    expect(files().map((f) => f.Recording_Part_Key__c)).toEqual([0, 1, 2].map((i) => `${planId}:${i}`));
    for (const [i, f] of files().entries())
      expect(f.Checksum).toBe(
        createHash('md5')
          .update(bytes.subarray(i * PART_BYTES, (i + 1) * PART_BYTES))
          .digest('hex'),
      );
    expect(plan.parts.map((p) => p.uploaded?.outcome)).toEqual([
      'already_there',
      expect.any(String),
      'uploaded',
    ]);
    const lookups = salesforce
      .requests()
      .slice(requestsBefore)
      .filter((r) => r.path.endsWith('/query'));
    expect(lookups.length).toBeGreaterThanOrEqual(1);
    expect(plan.crmCalls?.lookups).toBe(lookups.length);
  });
});
