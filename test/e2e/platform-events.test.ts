import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureLogs } from '../../functions/src/log.js';
import { serveFunctions } from '../../scripts/stack/functions.js';
import { sendSigned } from '../support/platform.js';
import { testFirestore, testProjectId } from '../support/projects.js';

/**
 * The functions served by the functions framework, driven from outside over HTTP and through a Pub/Sub
 * emulator push subscription, with Firestore on the emulator.
 */
const projectId = testProjectId('e2e-events');
const PRIMARY = 'primary-secret-0123456789abcdef0123456789';
const PREVIOUS = 'previous-secret-0123456789abcdef012345678';
const db = testFirestore(projectId);
const logLines: string[] = [];
let platformEventsUrl = '';
let pubsubFunctionUrl = '';
let stop: () => Promise<void> = async () => {};

beforeAll(async () => {
  Object.assign(process.env, {
    GOOGLE_CLOUD_PROJECT: projectId,
    PLATFORM_SIGNING_SECRET: PRIMARY,
    PLATFORM_SIGNING_SECRET_PREVIOUS: PREVIOUS,
    LOG_LEVEL: 'DEBUG',
  });
  const served = await serveFunctions({ platformEvents: 0, platformEventsPubSub: 0 });
  configureLogs({ sink: (line) => logLines.push(line) });
  platformEventsUrl = served.functions.find((f) => f.name === 'platformEvents')!.url;
  pubsubFunctionUrl = served.functions.find((f) => f.name === 'platformEventsPubSub')!.url;
  stop = served.stop;
});

afterAll(async () => {
  await stop();
  await db.terminate();
});

const now = () => Math.floor(Date.now() / 1000);

function post(
  body: string,
  options: { secret?: string; timestamp?: number; signature?: string; contentType?: string } = {},
) {
  return sendSigned(`${platformEventsUrl}/v1/events`, body, {
    ...options,
    secret: options.secret ?? PRIMARY,
  });
}

let sequence = 0;
const event = (sessionId: string, type: string, fields: Record<string, unknown> = {}, minute = sequence) =>
  JSON.stringify({
    schemaVersion: 1,
    eventId: `${sessionId}-${sequence}`,
    sessionId,
    sequence: sequence++,
    occurredAt: new Date(Date.UTC(2026, 10, 22, 10, minute)).toISOString(),
    type,
    ...fields,
  });

const created = (sessionId: string) =>
  event(sessionId, 'session.created', {
    kind: 'call',
    channel: 'ivr',
    queue: { id: 'q-refunds', menuPath: ['Billing', 'Refunds'] },
    language: 'en',
    consumer: { id: 'c-42', name: 'Ada Lovelace', anonymous: false },
  });

const sessionDoc = (id: string) => db.doc(`sessions/${id}`).get();

describe('platformEvents over HTTP', () => {
  it('when the health endpoint is asked, then it answers ok', async () => {
    const res = await fetch(`${platformEventsUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('when a whole call is posted with valid signatures, then Firestore holds the call with its metrics', async () => {
    const id = 'CALL-1';
    sequence = 0;
    const bodies = [
      created(id),
      event(id, 'session.assigned', { agent: { id: 'agent-7', name: 'Grace Hopper' } }),
      event(id, 'session.connected'),
      event(id, 'participant.joined', { participant: { id: 'agent-7', role: 'agent' } }),
      event(id, 'session.held'),
      event(id, 'session.resumed'),
      event(id, 'session.transferred', { to: { type: 'agent', agent: { id: 'agent-9' } } }),
      event(id, 'session.connected'),
      event(id, 'recording.available', {
        recording: { id: 'rec-1', bucket: 'recordings', object: 'CALL-1.wav' },
      }),
      event(id, 'session.ended', { reason: 'completed' }),
    ];
    for (const body of bodies) {
      const res = await post(body);
      expect(res.status).toBe(200);
    }
    const stored = (await sessionDoc(id)).data()!;
    expect(stored).toMatchObject({
      status: 'ended',
      endReason: 'completed',
      agent: { id: 'agent-9' },
      queue: { id: 'q-refunds', menuPath: ['Billing', 'Refunds'] },
      totals: { queueWaitMs: 60_000, holdMs: 60_000, holdCount: 1, transferCount: 1 },
      recordings: [{ id: 'rec-1', object: 'CALL-1.wav' }],
    });
    expect((await db.collection(`sessions/${id}/events`).get()).size).toBe(bodies.length);

    const again = await post(bodies[3]!);
    expect(await again.json()).toMatchObject({ outcome: 'duplicate', status: 'ended' });
  });

  it('when the platform signs with the previous secret during a rotation, then the event is accepted', async () => {
    sequence = 0;
    const res = await post(created('ROTATED'), { secret: PREVIOUS });
    expect(res.status).toBe(200);
    expect((await sessionDoc('ROTATED')).exists).toBe(true);
  });

  it.each([
    ['a wrong secret', { secret: 'wrong-secret-0123456789abcdef0123456789' }, 'signature_mismatch'],
    ['a timestamp ten minutes old', { timestamp: now() - 600 }, 'stale_timestamp'],
    ['no signature', { signature: '' }, 'missing_signature'],
    ['a signature that is not hex', { signature: 'v1=zz' }, 'malformed_signature'],
  ])(
    'when an event comes with %s, then it is refused with 401 and nothing is written',
    async (_, options, reason) => {
      sequence = 0;
      const id = `REFUSED-${reason}`;
      const res = await post(created(id), options);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        error: {
          code: 'unauthenticated',
          message: 'The request could not be authenticated.',
          details: { reason },
        },
      });
      expect((await sessionDoc(id)).exists).toBe(false);
    },
  );

  it('when a signed event is invalid, then it is a 400 naming each problem and nothing is written', async () => {
    sequence = 0;
    const body = JSON.parse(created('INVALID')) as Record<string, unknown>;
    body.channel = 'fax';
    delete body.language;
    const res = await post(JSON.stringify(body));
    expect(res.status).toBe(400);
    const answer = (await res.json()) as { error: { code: string; details: { issues: { path: string }[] } } };
    expect(answer.error.code).toBe('invalid_request');
    expect(answer.error.details.issues.map((i) => i.path).sort()).toEqual(['channel', 'language']);
    expect((await sessionDoc('INVALID')).exists).toBe(false);
  });

  it('when the body is not JSON, then it is a 400', async () => {
    // Declared as JSON, the functions framework's body parser refuses it before our code runs.
    expect((await post('{"schemaVersion": 1,')).status).toBe(400);
    const res = await post('{"schemaVersion": 1,', { contentType: 'text/plain' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: 'invalid_request', message: 'The body is not valid JSON.' },
    });
  });

  it('when events were handled, then no log line carries the consumer or agent name', () => {
    const all = logLines.join('\n');
    expect(all).toContain('session_event_ingested');
    expect(all).not.toContain('Ada Lovelace');
    expect(all).not.toContain('Grace Hopper');
  });
});

describe('platformEventsPubSub through a Pub/Sub emulator push subscription', () => {
  const pubsub = new PubSub({ projectId });
  afterAll(() => pubsub.close());

  it('when an event is published, then it is pushed, handled and stored; a poison message is dropped once', async () => {
    const [topic] = await pubsub.createTopic('platform-events');
    await topic.createSubscription('platform-events-push', {
      // The functions framework names the CloudEvent's source after this path, as Eventarc would.
      pushConfig: { pushEndpoint: `${pubsubFunctionUrl}/projects/${projectId}/topics/platform-events` },
      ackDeadlineSeconds: 10,
    });
    sequence = 0;
    await topic.publishMessage({ data: Buffer.from('{"not":"an event","consumer":"Ada Lovelace"}') });
    await topic.publishMessage({ data: Buffer.from(created('PUSHED')) });

    const deadline = Date.now() + 30_000;
    while (!(await sessionDoc('PUSHED')).exists && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect((await sessionDoc('PUSHED')).data()).toMatchObject({ status: 'queued', channel: 'ivr' });

    // Acknowledged, so never redelivered: still one poison entry after the emulator's retry interval.
    await new Promise((r) => setTimeout(r, 3_000));
    const poison = logLines.filter((l) => l.includes('poison_message_dropped'));
    expect(poison).toHaveLength(1);
    expect(poison[0]).not.toContain('Ada Lovelace');
  });
});
