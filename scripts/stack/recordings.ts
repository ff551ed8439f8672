import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { CloudTasksClient } from '@google-cloud/tasks';
import { clientOptions } from '../../functions/src/adapters/tasks/recording-tasks.js';
import { Storage } from '@google-cloud/storage';
import type { StoredObjectMetadata } from '../../local-servers/storage.js';
import type { TasksServer } from '../../local-servers/tasks.js';
import type { SalesforceServer } from '../../local-servers/salesforce.js';

/**
 * The recordings pipeline on this machine: the bucket on our Storage server, the queue on our Cloud
 * Tasks server (with the RetryConfig of infra/recordings.tf), a Salesforce-compatible server for
 * the CRM, and the finalize notifications that Eventarc would deliver to recordingReady.
 */
export const LOCAL_SALESFORCE = {
  clientId: 'local-switchboard-connected-app',
  username: 'integration@switchboard.local',
  /** The local Salesforce-compatible server's demo case: recordings of the demo call attach here. */
  caseId: '500000000000001AAA',
};

/**
 * The node options recordingWorker is deployed with besides the front door's (NODE_OPTIONS in
 * infra/functions.tf, which says why): a process of its own that serves the worker starts with them,
 * and gets the front door from serveFunctions.
 */
export const RECORDING_WORKER_NODE_OPTIONS = '--max-semi-space-size=64';

/** A fresh key pair for the connected app: the worker signs with the private key, the server checks. */
export function connectedAppKeys() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RecordingsStackOptions {
  projectId: string;
  bucket: string;
  /** Where the platform writes voicemails' audio (created with the recordings bucket). */
  voicemailBucket?: string;
  storageUrl: string;
  tasks: TasksServer;
  salesforce: SalesforceServer;
  privateKeyPem: string;
  workerPort: number;
  /** 50 MB by default; smaller to try the pipeline with small files. */
  partSizeBytes?: number;
  location?: string;
}

/** The environment the recordings functions read (see functions/src/config.ts). */
export function recordingsEnvironment(o: RecordingsStackOptions): Record<string, string> {
  const location = o.location ?? 'europe-west1';
  return {
    RECORDINGS_BUCKET: o.bucket,
    ...(o.voicemailBucket ? { VOICEMAIL_BUCKET: o.voicemailBucket } : {}),
    RECORDINGS_QUEUE: `projects/${o.projectId}/locations/${location}/queues/recordings`,
    RECORDING_WORKER_URL: `http://127.0.0.1:${o.workerPort}`,
    RECORDING_TASKS_SERVICE_ACCOUNT: `recording-tasks@${o.projectId}.iam.gserviceaccount.com`,
    TASKS_EMULATOR_HOST: o.tasks.url,
    TASKS_OIDC_CERTS_URL: o.tasks.certsUrl,
    STORAGE_EMULATOR_HOST: o.storageUrl,
    SALESFORCE_LOGIN_URL: o.salesforce.url,
    SALESFORCE_CLIENT_ID: LOCAL_SALESFORCE.clientId,
    SALESFORCE_USERNAME: LOCAL_SALESFORCE.username,
    SALESFORCE_PRIVATE_KEY: o.privateKeyPem,
    SALESFORCE_API_VERSION: '62.0',
    ...(o.partSizeBytes ? { RECORDING_PART_BYTES: String(o.partSizeBytes) } : {}),
  };
}

/** A bucket on the local Storage server, unless it is there already (the tones bucket, NOT-4). */
export async function createBucket(storageUrl: string, projectId: string, bucket: string) {
  const storage = new Storage({ apiEndpoint: storageUrl, projectId });
  if (!(await storage.bucket(bucket).exists())[0]) await storage.createBucket(bucket);
}

/** The bucket, and the queue with the RetryConfig of infra/ (so local retries pace as deployed ones). */
export async function createBucketAndQueue(o: RecordingsStackOptions) {
  const env = recordingsEnvironment(o);
  const storage = new Storage({ apiEndpoint: o.storageUrl, projectId: o.projectId });
  const [exists] = await storage.bucket(o.bucket).exists();
  if (!exists) await storage.createBucket(o.bucket);
  if (o.voicemailBucket && !(await storage.bucket(o.voicemailBucket).exists())[0])
    await storage.createBucket(o.voicemailBucket);
  const client = new CloudTasksClient(clientOptions(o.tasks.url));
  const queue = env.RECORDINGS_QUEUE!;
  try {
    await client.createQueue({
      parent: queue.slice(0, queue.indexOf('/queues/')),
      queue: {
        name: queue,
        retryConfig: {
          maxAttempts: -1,
          maxRetryDuration: { seconds: 518_400 },
          minBackoff: { seconds: 10 },
          maxBackoff: { seconds: 3600 },
          maxDoublings: 8,
        },
        rateLimits: { maxConcurrentDispatches: 20, maxDispatchesPerSecond: 5 },
      },
    });
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (code !== 6 && code !== 409) throw error;
  } finally {
    await client.close();
  }
}

/**
 * What Eventarc does for the bucket: each finalized object becomes a CloudEvent POSTed (binary
 * mode) to recordingReady, retried a few times if it fails. Set `target` once the function is up.
 */
export function finalizeNotifier() {
  let target: string | undefined;
  const notify = async (object: StoredObjectMetadata) => {
    if (!target) return;
    for (let attempt = 1; attempt <= 5; attempt++) {
      const res = await fetch(target, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'ce-specversion': '1.0',
          'ce-type': 'google.cloud.storage.object.v1.finalized',
          'ce-source': `//storage.googleapis.com/projects/_/buckets/${object.bucket}`,
          'ce-subject': `objects/${object.name}`,
          'ce-id': randomUUID(),
          'ce-time': object.updated,
        },
        body: JSON.stringify(object),
      }).catch(() => undefined);
      if (res?.ok) return;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  };
  return {
    onFinalize: (object: StoredObjectMetadata) => void notify(object),
    deliverTo: (url: string) => {
      target = url;
    },
  };
}

/** What Cloud Scheduler does for the sweeper: a Pub/Sub-shaped CloudEvent, on demand or on a timer. */
export async function tickSweeper(sweeperUrl: string): Promise<Response> {
  return fetch(sweeperUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
      'ce-source': '//pubsub.googleapis.com/projects/local/topics/sweeper-ticks',
      'ce-id': randomUUID(),
    },
    body: JSON.stringify({
      message: { data: Buffer.from('{}').toString('base64'), messageId: randomUUID() },
    }),
  });
}
