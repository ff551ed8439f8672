import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureLogs } from '../../functions/src/log.js';
import { signPlatformRequest, signPlatformRequestV1 } from '../../functions/src/http/platform-signature.js';
import { serveFunctions } from '../../scripts/stack/functions.js';
import { sendSigned } from '../support/platform.js';
import { testFirestore, testProjectId } from '../support/projects.js';

/**
 * Signatures bind the method and the path as well as the body, and a signed request that changes
 * state is acted on once: checked from outside, on the functions framework and the Firestore emulator.
 */
const projectId = testProjectId('e2e-signed');
const SECRET = 'signed-secret-0123456789abcdef0123456789ab';
const db = testFirestore(projectId);
let base = '';
let stop: () => Promise<void> = async () => {};

beforeAll(async () => {
  Object.assign(process.env, {
    GOOGLE_CLOUD_PROJECT: projectId,
    PLATFORM_SIGNING_SECRET: SECRET,
    PLATFORM_SIGNING_SECRET_PREVIOUS: '',
  });
  const served = await serveFunctions({ platformEvents: 0 });
  configureLogs({ sink: () => {} });
  base = served.functions.find((f) => f.name === 'platformEvents')!.url;
  stop = served.stop;
});

afterAll(async () => {
  await stop();
  await db.terminate();
});

const now = () => Math.floor(Date.now() / 1000);

/** Sends `body` to `path` carrying a signature made for another request (what an eavesdropper holds). */
const sendWith = (path: string, body: string, timestamp: number, signature: string, method = 'PUT') =>
  sendSigned(`${base}${path}`, body, { secret: SECRET, method, timestamp, signature });

const reasonOf = async (res: Response) =>
  ((await res.json()) as { error: { details: { reason: string } } }).error.details.reason;

describe('signed platform requests', () => {
  it("when agent-1's signed presence report is sent to agent-2's path, then 401 and agent-2 has no presence", async () => {
    const body = JSON.stringify({ state: 'available', at: new Date().toISOString() });
    const timestamp = now();
    const path = '/v1/agents/agent-1/presence';
    const signature = signPlatformRequest(SECRET, timestamp, { method: 'PUT', path, body });

    const own = await sendWith(path, body, timestamp, signature);
    expect(own.status).toBe(200);
    const elsewhere = await sendWith('/v1/agents/agent-2/presence', body, timestamp, signature);
    expect(elsewhere.status).toBe(401);
    expect(await reasonOf(elsewhere)).toBe('signature_mismatch');
    const withQuery = await sendWith(`${path}?again=1`, body, timestamp, signature);
    expect(withQuery.status).toBe(401);

    expect((await db.doc('presence/agent-2').get()).exists).toBe(false);
    expect((await db.doc('presence/agent-1').get()).get('state')).toBe('available');
  });

  it('when the same signed presence report is sent twice, then the copy is refused with 409 and writes nothing', async () => {
    const path = '/v1/agents/agent-3/presence';
    const body = JSON.stringify({ state: 'busy', at: new Date().toISOString() });
    const timestamp = now();
    const signature = signPlatformRequest(SECRET, timestamp, { method: 'PUT', path, body });

    expect((await sendWith(path, body, timestamp, signature)).status).toBe(200);
    const stored = await db.doc('presence/agent-3').get();
    const copy = await sendWith(path, body, timestamp, signature);
    expect(copy.status).toBe(409);
    expect(await reasonOf(copy)).toBe('replayed_request');
    expect((await db.doc('presence/agent-3').get()).updateTime).toEqual(stored.updateTime);

    // Signed afresh, the same report is a new request: accepted (and, being no newer, ignored).
    const again = await sendWith(
      path,
      body,
      timestamp - 1,
      signPlatformRequest(SECRET, timestamp - 1, { method: 'PUT', path, body }),
    );
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ applied: false });
  });

  it('when a malformed report is signed, then 400 and no use of the signature is recorded', async () => {
    const path = '/v1/agents/agent-4/presence';
    const body = JSON.stringify({ state: 'asleep', at: new Date().toISOString() });
    const recorded = async () => (await db.collection('signedRequests').count().get()).data().count;
    const before = await recorded();
    const res = await sendSigned(`${base}${path}`, body, { secret: SECRET, method: 'PUT' });
    expect(res.status).toBe(400);
    expect(await recorded()).toBe(before);
    expect((await db.doc('presence/agent-4').get()).exists).toBe(false);
  });

  it('when a session event is sent twice with one signature, then both copies answer 200 and it is stored once', async () => {
    const body = JSON.stringify({
      schemaVersion: 1,
      eventId: 'SIGNED-1-0',
      sessionId: 'SIGNED-1',
      sequence: 0,
      occurredAt: '2026-11-22T10:00:00Z',
      type: 'session.created',
      kind: 'call',
      channel: 'ivr',
      queue: { id: 'q-refunds', menuPath: ['Billing'] },
      language: 'en',
      consumer: { id: 'c-1', anonymous: true },
    });
    const timestamp = now();
    const signature = signPlatformRequest(SECRET, timestamp, { method: 'POST', path: '/v1/events', body });
    const first = await sendWith('/v1/events', body, timestamp, signature, 'POST');
    const copy = await sendWith('/v1/events', body, timestamp, signature, 'POST');
    expect([first.status, copy.status]).toEqual([200, 200]);
    expect(await copy.json()).toMatchObject({ outcome: 'duplicate' });
    expect((await db.collection('sessions/SIGNED-1/events').get()).size).toBe(1);
  });

  it('when a body-only v1 signature is sent and the deployment does not accept v1, then 401', async () => {
    const path = '/v1/agents/agent-5/presence';
    const body = JSON.stringify({ state: 'available', at: new Date().toISOString() });
    const timestamp = now();
    const res = await sendWith(path, body, timestamp, signPlatformRequestV1(SECRET, timestamp, body));
    expect(res.status).toBe(401);
    expect(await reasonOf(res)).toBe('signature_version_not_accepted');
    expect((await db.doc('presence/agent-5').get()).exists).toBe(false);
  });
});
