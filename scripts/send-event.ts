import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { postPlatformEvent } from './stack/platform.js';
import { localStack } from './stack/local-config.js';

/**
 * Posts one signed session event to the local platformEvents function, as the platform would.
 * `npm run send-event` sends a new call; `npm run send-event -- event.json` sends that file;
 * `npm run send-event -- --plan` sends a new call, assigns it to ari@ and asks for the agent's
 * notification plan (NOT-5), which the demo's notification settings make.
 */
const planToo = process.argv[2] === '--plan';
const file = planToo ? undefined : process.argv[2];
const sessionId = `call-${randomUUID().slice(0, 8)}`;
const body = file
  ? readFileSync(file, 'utf8')
  : JSON.stringify({
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
    });
const res = await postPlatformEvent(body);
console.log(`${res.status} ${await res.text()}`);
const sent = JSON.parse(body) as { sessionId?: string };
if (res.ok && sent.sessionId) {
  // "Bearer owner" is the emulator's way past the security rules, for an admin's look.
  const doc = `http://127.0.0.1:${localStack.ports.firestore}/v1/projects/${localStack.projectId}/databases/(default)/documents/sessions/${sent.sessionId}`;
  const stored = await fetch(doc, { headers: { authorization: 'Bearer owner' } });
  const fields = ((await stored.json()) as { fields?: { status?: { stringValue?: string } } }).fields;
  console.log(`Firestore sessions/${sent.sessionId}: status ${fields?.status?.stringValue ?? 'not found'}`);
  console.log(`  curl -H 'Authorization: Bearer owner' '${doc}'`);
}
if (res.ok && planToo) {
  const assigned = await postPlatformEvent(
    JSON.stringify({
      schemaVersion: 1,
      eventId: `${sessionId}-1`,
      sessionId,
      sequence: 1,
      occurredAt: new Date().toISOString(),
      type: 'session.assigned',
      agent: { id: 'u-agent-1', name: 'Ari Agent' },
    }),
  );
  console.log(`session.assigned: ${assigned.status}`);
  const plan = await postPlatformEvent(
    JSON.stringify({
      trigger: 'assignment',
      sessionId,
      assignmentId: `${sessionId}-a1`,
      agentId: 'u-agent-1',
    }),
    '/v1/notifications/plans',
  );
  console.log(`POST /v1/notifications/plans: ${plan.status}\n${JSON.stringify(await plan.json(), null, 2)}`);
  if (!plan.ok) process.exitCode = 1;
}
if (!res.ok) process.exitCode = 1;
