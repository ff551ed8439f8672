import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { resolve } from 'node:path';
import { startStorageServer } from '../local-servers/storage.js';
import { startTasksServer } from '../local-servers/tasks.js';
import { startSalesforceServer } from '../local-servers/salesforce.js';
import {
  LOCAL_SALESFORCE,
  connectedAppKeys,
  createBucket,
  createBucketAndQueue,
  finalizeNotifier,
  recordingsEnvironment,
  tickSweeper,
} from './stack/recordings.js';
import { DEMO_PASSWORD, demoPeople, seedDemoAccounts, seedDemoData } from './seed/demo-data.js';
import { seedDemoTone } from './seed/demo-tone.js';
import {
  startAuthEmulator,
  startFirestoreEmulator,
  startPubSubEmulator,
  type Emulator,
} from './stack/emulators.js';
import { startControlServer } from './stack/control.js';
import { serveFunctions } from './stack/functions.js';
import { localStack } from './stack/local-config.js';
import { LocalTime } from './stack/local-time.js';

/**
 * `npm start`: the whole system on this machine — the emulators, the functions served by the
 * functions framework, demo data — until Ctrl-C, which stops everything it started.
 */
const stoppers: (() => Promise<void>)[] = [];
let stopping = false;

async function stopAll(code: number) {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping the local stack…');
  for (const stop of stoppers.reverse()) await stop().catch((e: unknown) => console.error(e));
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

async function main() {
  const { projectId, ports } = localStack;
  console.log(`Starting Switchboard locally (project ${projectId})…`);
  const track = (e: Emulator) => (stoppers.push(() => e.stop()), e);
  const [firestore, pubsub, auth] = await Promise.all([
    startFirestoreEmulator({ port: ports.firestore, rulesFile: resolve('firestore.rules') }).then(track),
    startPubSubEmulator({ port: ports.pubsub }).then(track),
    startAuthEmulator({ port: ports.auth, projectId }).then(track),
  ]);
  const finalized = finalizeNotifier();
  const mediaFinalized = finalizeNotifier();
  const storage = await startStorageServer({
    port: ports.storage,
    onFinalize: (object) =>
      object.bucket === localStack.mediaBucket
        ? mediaFinalized.onFinalize(object)
        : finalized.onFinalize(object),
  });
  stoppers.push(() => storage.close());
  const tasks = await startTasksServer({ port: ports.tasks });
  stoppers.push(() => tasks.close());
  const keys = connectedAppKeys();
  const salesforce = await startSalesforceServer({
    port: ports.salesforce,
    publicKeyPem: keys.publicKeyPem,
    clientId: LOCAL_SALESFORCE.clientId,
    username: LOCAL_SALESFORCE.username,
  });
  stoppers.push(() => salesforce.close());
  const time = new LocalTime(localStack.clockOffsetFile, [tasks, salesforce, storage]);
  stoppers.push(async () => time.forget());
  const recordings = {
    projectId,
    bucket: localStack.recordingsBucket,
    voicemailBucket: localStack.voicemailBucket,
    storageUrl: storage.url,
    tasks,
    salesforce,
    privateKeyPem: keys.privateKeyPem,
    workerPort: ports.recordingWorker,
  };
  await createBucketAndQueue(recordings);
  await createBucket(storage.url, projectId, localStack.notificationTonesBucket);
  await createBucket(storage.url, projectId, localStack.mediaBucket);

  Object.assign(process.env, {
    GOOGLE_CLOUD_PROJECT: projectId,
    METADATA_SERVER_DETECTION: 'none',
    FIRESTORE_EMULATOR_HOST: firestore.host,
    PUBSUB_EMULATOR_HOST: pubsub.host,
    FIREBASE_AUTH_EMULATOR_HOST: auth.host,
    STORAGE_EMULATOR_HOST: storage.url,
    PLATFORM_SIGNING_SECRET: localStack.platformSigningSecret,
    CRM_DOWNLOAD_KEY: localStack.crmDownloadKey,
    NOTIFICATION_TONES_BUCKET: localStack.notificationTonesBucket,
    NOTIFICATION_TONE_PREVIEW_KEY: localStack.tonePreviewKey,
    MEDIA_BUCKET: localStack.mediaBucket,
    LOCAL_CLOCK_OFFSET_FILE: localStack.clockOffsetFile,
    ...recordingsEnvironment(recordings),
    // Live chat offers' timeouts, through the same local Cloud Tasks server (the queue is created on
    // its first task), to platformEvents.
    CHAT_OFFERS_QUEUE: `projects/${projectId}/locations/europe-west1/queues/chat-offers`,
    CHAT_OFFER_TIMEOUT_URL: `http://127.0.0.1:${ports.platformEvents}/v1/tasks/chat-offer-timeout`,
    CHAT_TASKS_SERVICE_ACCOUNT: `chat-tasks@${projectId}.iam.gserviceaccount.com`,
  });

  const db = new Firestore({ projectId });
  const seeded = await seedDemoData(db, projectId);
  stoppers.push(() => db.terminate());
  await seedDemoAccounts(auth.host, projectId);
  await seedDemoTone(db, { projectId, bucket: localStack.notificationTonesBucket, url: storage.url });

  const served = await serveFunctions({
    api: ports.api,
    platformEvents: ports.platformEvents,
    platformEventsPubSub: ports.platformEventsPubSub,
    recordingReady: ports.recordingReady,
    recordingWorker: ports.recordingWorker,
    sweeper: ports.sweeper,
    mediaReady: ports.mediaReady,
  });
  stoppers.push(() => served.stop());
  const url = (name: string) => served.functions.find((f) => f.name === name)!.url;
  finalized.deliverTo(url('recordingReady'));
  mediaFinalized.deliverTo(url('mediaReady'));
  // Cloud Scheduler's hourly tick, every ten minutes here (at the local stack's time, moved or not).
  const sweeps = setInterval(() => void tickSweeper(url('sweeper')).catch(() => undefined), 10 * 60_000);
  stoppers.push(async () => clearInterval(sweeps));
  const control = await startControlServer({
    port: ports.control,
    time,
    sweep: async () => (await tickSweeper(url('sweeper'))).status,
  });
  stoppers.push(() => control.close());

  // Platform events published on the topic reach the function the way Eventarc would deliver them.
  const client = new PubSub({ projectId });
  stoppers.push(() => client.close());
  const topic = client.topic(localStack.platformEventsTopic);
  for (const name of [localStack.platformEventsTopic, localStack.platformCommandsTopic]) {
    const [exists] = await client.topic(name).exists();
    if (!exists) await client.topic(name).create();
  }
  // Commands to the platform (listen in, barge, end) wait here for anyone to look at them.
  const commands = client
    .topic(localStack.platformCommandsTopic)
    .subscription(`${localStack.platformCommandsTopic}-local`);
  if (!(await commands.exists())[0]) await commands.create();
  const subscription = topic.subscription(`${localStack.platformEventsTopic}-push`);
  const pushEndpoint = `${url('platformEventsPubSub')}/projects/${projectId}/topics/${localStack.platformEventsTopic}`;
  const [subscriptionExists] = await subscription.exists();
  if (subscriptionExists) await subscription.modifyPushConfig({ pushEndpoint });
  else await subscription.create({ pushConfig: { pushEndpoint } });

  console.log(`
Switchboard is up. Demo data: ${seeded.documents} documents, ${seeded.events} session events.

  api (people)                 ${url('api')}/v1/…   health: ${url('api')}/healthz
  platformEvents (HTTP)        ${url('platformEvents')}/v1/events   health: ${url('platformEvents')}/healthz
  platformEventsPubSub         ${url('platformEventsPubSub')}  (pushed from topic ${localStack.platformEventsTopic})
  recordingReady               ${url('recordingReady')}  (told of every object written to gs://${localStack.recordingsBucket})
  recordingWorker              ${url('recordingWorker')}  (tasks of queue recordings, OIDC-checked)
  sweeper                      ${url('sweeper')}  (ticked every 10 minutes)
  mediaReady                   ${url('mediaReady')}  (told of every upload to gs://${localStack.mediaBucket})

  api contract (OpenAPI 3.1)             ${url('api')}/v1/openapi.json
  platformEvents contract (OpenAPI 3.1)  ${url('platformEvents')}/v1/openapi.json

  Firestore emulator           FIRESTORE_EMULATOR_HOST=${firestore.host}
  Pub/Sub emulator             PUBSUB_EMULATOR_HOST=${pubsub.host}
  Auth emulator                FIREBASE_AUTH_EMULATOR_HOST=${auth.host}
  Storage server               STORAGE_EMULATOR_HOST=${storage.url}
  Cloud Tasks server           ${tasks.url}
  Salesforce-compatible CRM    ${salesforce.url}  (files it received: ${salesforce.url}/local/files)
  CRM faults                   ${salesforce.url}/__control/faults  (docs/local-stack.md, "Faults and time")
  Local time, sweeps           ${control.url}/__control/time, ${control.url}/__control/sweep

Sign in (password "${DEMO_PASSWORD}"): ${demoPeople.map((p) => p.email).join(', ')}
  TOKEN=$(npm run -s token -- manager@acme.example)
  curl -H "Authorization: Bearer $TOKEN" '${url('api')}/v1/sessions?kind=call&state=connected'
Send a signed sample event:    npm run send-event
Platform signing secret:       PLATFORM_SIGNING_SECRET=${localStack.platformSigningSecret}
Upload a demo call recording:  npm run send-recording   (then watch it reach the CRM and leave the bucket)
CRM download key:              CRM_DOWNLOAD_KEY=${localStack.crmDownloadKey}
Press Ctrl-C to stop everything.`);
}

main().catch(async (error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  await stopAll(1);
});
