import { randomUUID } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import { postPlatformEvent } from './stack/platform.js';
import { recordingBytes } from './stack/recording-bytes.js';
import { LOCAL_SALESFORCE } from './stack/recordings.js';
import { localStack } from './stack/local-config.js';

/**
 * Plays the platform at the end of a recorded call, on the local stack: the call is created linked
 * to the local CRM's demo case, then its recording is written to the bucket. The pipeline does the
 * rest; this waits until the recording has reached the CRM and left the bucket, and says how.
 * `npm run send-recording` sends 70 MB (two parts); `npm run send-recording -- 120` sends 120 MB.
 */
const MB = 1_000_000;
const sizeBytes = Math.round(Number(process.argv[2] ?? 70) * MB);
const { ports, projectId } = localStack;
const sessionId = `call-${randomUUID().slice(0, 8)}`;
const object = `recordings/${sessionId}/${sessionId}-recording.wav`;

const event = JSON.stringify({
  schemaVersion: 1,
  eventId: `${sessionId}-0`,
  sessionId,
  sequence: 0,
  occurredAt: new Date().toISOString(),
  type: 'session.created',
  kind: 'call',
  channel: 'ivr',
  queue: { id: 'q-refunds', menuPath: ['Billing', 'Refunds'] },
  language: 'en',
  consumer: { id: 'c-demo', anonymous: true },
  crm: { system: 'salesforce', recordId: LOCAL_SALESFORCE.caseId },
});
const sent = await postPlatformEvent(event);
if (!sent.ok) throw new Error(`platformEvents answered ${sent.status}: ${await sent.text()}`);

const storage = new Storage({ apiEndpoint: `http://127.0.0.1:${ports.storage}`, projectId });
const file = storage.bucket(localStack.recordingsBucket).file(object);
const stream = file.createWriteStream({ resumable: false, contentType: 'audio/wav' });
const written = new Promise<void>((resolve, reject) => stream.on('finish', resolve).on('error', reject));
for (const chunk of recordingBytes(Date.now() % 1_000_000, 0, sizeBytes))
  if (!stream.write(chunk)) await new Promise((resolve) => stream.once('drain', resolve));
stream.end();
await written;
console.log(`Call ${sessionId}: wrote gs://${localStack.recordingsBucket}/${object} (${sizeBytes / MB} MB)`);

const started = Date.now();
while ((await file.exists())[0]) {
  if (Date.now() - started > 5 * 60_000)
    throw new Error('The recording is still in the bucket after 5 minutes');
  await new Promise((resolve) => setTimeout(resolve, 250));
}
const files = (await (await fetch(`http://127.0.0.1:${ports.salesforce}/local/files`)).json()) as {
  Title: string;
  ContentSize: number;
  Checksum: string;
  Recording_Part_Key__c: string;
}[];
console.log(`Delivered to the CRM case ${LOCAL_SALESFORCE.caseId} and deleted from the bucket:`);
for (const f of files.filter((x) => x.Title.startsWith(`${sessionId}-recording.wav`)))
  console.log(`  ${f.Title}  ${f.ContentSize / MB} MB  md5 ${f.Checksum}`);
