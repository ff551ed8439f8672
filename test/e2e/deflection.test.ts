import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { agentListing } from '../../functions/src/domain/supervision/agent-listing.js';
import { configureLogs } from '../../functions/src/log.js';
import { serveFunctions } from '../../scripts/stack/functions.js';
import {
  compileDeflection,
  decide,
  type ContactQuestion,
} from '../../functions/src/domain/deflection/decide.js';
import {
  CallSettings,
  ChatSettings,
  LanguageSettings,
  QueueSettings,
  SupportCenter,
  validateDeflectionConfig,
  type DeflectionConfig,
} from '../../functions/src/domain/deflection/settings.js';
import { deflectionConfig } from '../support/deflection-config.js';
import { createAccount, signIn } from '../support/people.js';
import { sendSigned } from '../support/platform.js';
import { AUTH_TEST_PROJECT } from '../support/projects.js';
import { Firestore } from '@google-cloud/firestore';

/**
 * Deflection settings saved by an admin through the api, and decisions asked by the platform through
 * platformEvents, on the emulators. A database of its own keeps it apart from the other file that
 * signs people in to the same project.
 */
const projectId = AUTH_TEST_PROJECT;
const databaseId = 'deflection-e2e';
const SECRET = 'deflection-secret-0123456789abcdef0123456';
const db = new Firestore({ projectId, databaseId });
let api = '';
let events = '';
let stop: () => Promise<void> = async () => {};
const tokens: Record<string, string> = {};

async function put(who: string, path: string, body: unknown) {
  const res = await fetch(`${api}${path}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function platformAsks(question: Record<string, unknown>) {
  return signed('POST', '/v1/deflection/decisions', question);
}

/** Each call is a new signed request; `timestamp` sets its signing time, `signature` sends another's. */
async function signed(
  method: string,
  path: string,
  payload: unknown,
  options: { timestamp?: number; signature?: string } = {},
) {
  const res = await sendSigned(`${events}${path}`, JSON.stringify(payload), {
    secret: SECRET,
    method,
    ...options,
  });
  return { status: res.status, body: (await res.json()) as any };
}

beforeAll(async () => {
  Object.assign(process.env, {
    GOOGLE_CLOUD_PROJECT: projectId,
    FIRESTORE_DATABASE_ID: databaseId,
    PLATFORM_SIGNING_SECRET: SECRET,
    DIRECTORY_CACHE_SECONDS: '0',
  });
  for (const [uid, roleIds] of [
    ['d-admin', ['admin']],
    ['d-manager', ['manager']],
    ['d-agent', ['agent']],
    ['d-other-agent', ['agent']],
  ] as const) {
    const person = { uid, name: uid, roleIds: [...roleIds], teamIds: ['team-a'] };
    await db.doc(`users/${uid}`).set({ ...person, ...agentListing(person) });
    await createAccount(projectId, uid, `${uid}@acme.example`);
    tokens[uid] = await signIn(`${uid}@acme.example`);
  }
  const served = await serveFunctions({ api: 0, platformEvents: 0 });
  configureLogs({ sink: () => {} });
  api = served.functions.find((f) => f.name === 'api')!.url;
  events = served.functions.find((f) => f.name === 'platformEvents')!.url;
  stop = served.stop;
});

afterAll(async () => {
  await stop();
  await db.terminate();
  delete process.env.FIRESTORE_DATABASE_ID;
});

/** Saves every section of `config`, languages and queues first, as an admin would on first set-up. */
async function saveAll(config: DeflectionConfig) {
  for (const [tag, language] of Object.entries(config.languages))
    expect((await put('d-admin', `/v1/settings/languages/${tag}`, language)).status).toBe(200);
  for (const [id, queue] of Object.entries(config.queues))
    expect((await put('d-admin', `/v1/settings/queues/${id}`, queue)).status).toBe(200);
  expect((await put('d-admin', '/v1/settings/support-center', config.supportCenter)).status).toBe(200);
  expect((await put('d-admin', '/v1/settings/call', config.call)).status).toBe(200);
  expect((await put('d-admin', '/v1/settings/chat', config.chat)).status).toBe(200);
}
describe('deflection settings through the api', () => {
  it('when an admin sets everything up section by section, then the platform gets decisions from it', async () => {
    const config = deflectionConfig();
    for (const [tag, language] of Object.entries(config.languages))
      expect((await put('d-admin', `/v1/settings/languages/${tag}`, language)).status).toBe(200);
    for (const [id, queue] of Object.entries(config.queues))
      expect((await put('d-admin', `/v1/settings/queues/${id}`, queue)).status).toBe(200);
    expect((await put('d-admin', '/v1/settings/support-center', config.supportCenter)).status).toBe(200);
    expect((await put('d-admin', '/v1/settings/call', config.call)).status).toBe(200);
    expect((await put('d-admin', '/v1/settings/chat', config.chat)).status).toBe(200);

    const closed = await platformAsks({
      kind: 'call',
      channel: 'ivr',
      queueId: 'q-refunds',
      language: 'en',
      at: '2026-11-24T01:00:00Z',
    });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({
      open: false,
      deflected: true,
      offers: [{ type: 'voicemail', deliverTo: { agentIds: ['u-agent-1'] } }],
    });
    const open = await platformAsks({
      kind: 'call',
      channel: 'ivr',
      queueId: 'q-refunds',
      language: 'en',
      at: '2026-11-23T15:00:00Z',
    });
    expect(open.body).toMatchObject({ open: true, deflected: false });
  });

  it('when a save would make an invalid combination, then it is a 400 naming the problem and nothing changes', async () => {
    const before = (await db.doc('settings/deflectionVersion').get()).get('version');
    const bad = await put('d-admin', '/v1/settings/queues/q-mobile-app', {
      ...deflectionConfig().queues['q-mobile-app'],
      deflection: { mobile: { redirectQueueId: 'q-night', email: true } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues).toEqual([
      {
        path: 'queues.q-mobile-app.deflection.mobile',
        code: 'redirect_excludes_options',
        message: 'Redirecting to a queue excludes every other option.',
      },
    ]);
    const web = await put('d-admin', '/v1/settings/queues/q-billing', {
      ...deflectionConfig().queues['q-billing'],
      deflection: { web: { email: true } },
    });
    expect(web.body.error.details.issues.map((i: { code: string }) => i.code)).toContain('not_for_web');
    const noPrompt = await put('d-admin', '/v1/settings/languages/fr', { enabled: true, prompts: {} });
    expect(noPrompt.status).toBe(400);
    expect(
      noPrompt.body.error.details.issues.every((i: { code: string }) => i.code === 'prompt_missing'),
    ).toBe(true);
    expect((await db.doc('settings/deflectionVersion').get()).get('version')).toBe(before);
    expect((await db.doc('queues/q-mobile-app').get()).get('deflection')).toEqual(
      deflectionConfig().queues['q-mobile-app']!.deflection,
    );
  });

  it('when a section is malformed, then the 400 lists its zod issues', async () => {
    const res = await put('d-admin', '/v1/settings/support-center', {
      ...deflectionConfig().supportCenter,
      hours: { timeZone: 'Mars/Olympus', weekly: {} },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details.issues.map((i: { path: string }) => i.path)).toContain('hours.timeZone');
  });

  it('when a manager tries to change settings, then 403 missing_permission', async () => {
    const res = await put('d-manager', '/v1/settings/call', deflectionConfig().call);
    expect(res.status).toBe(403);
    expect(res.body.error.details).toEqual({ reason: 'missing_permission', permission: 'Settings-Edit' });
  });

  it('when someone who may not edit settings sends an invalid or unparsable body, then 403 before anything is read of it', async () => {
    const invalid = { afterHoursDeflection: 'sometimes', ivr: { type: 'teleport' } };
    const attempts = [
      ...['/v1/settings/support-center', '/v1/settings/call', '/v1/settings/chat'].map((path) => ({
        path,
        body: JSON.stringify(invalid),
      })),
      { path: '/v1/settings/queues/q-mobile-app', body: JSON.stringify(invalid) },
      { path: '/v1/settings/languages/en', body: '{"prompts": ' },
      { path: '/v1/settings/call', body: 'not json at all' },
    ];
    for (const who of ['d-manager', 'd-agent'])
      for (const { path, body } of attempts) {
        const res = await fetch(`${api}${path}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
          body,
        });
        expect(res.status, `${who} ${path}`).toBe(403);
        expect(((await res.json()) as any).error.details.reason).toBe('missing_permission');
      }
    const preview = await fetch(`${api}/v1/deflection/preview`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens['d-agent']}`, 'content-type': 'application/json' },
      body: '{"kind": 42',
    });
    expect(preview.status).toBe(403);
  });

  it('when an admin saves, then the platform sees the change at once, and in steady state decisions read nothing', async () => {
    const call = { ...deflectionConfig().call, ivr: { type: 'phone', number: '+15550177' } };
    expect(
      (await put('d-admin', '/v1/settings/call', { ...call, sdk: deflectionConfig().call.sdk })).status,
    ).toBe(200);
    // The version listener may take a moment to report the save.
    let offers: unknown[] = [];
    for (
      let i = 0;
      i < 50 && JSON.stringify(offers) !== JSON.stringify([{ type: 'phone', number: '+15550177' }]);
      i++
    ) {
      offers = (
        await platformAsks({
          kind: 'call',
          channel: 'ivr',
          queueId: 'q-billing',
          language: 'en',
          at: '2026-11-24T01:00:00Z',
        })
      ).body.offers;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(offers).toEqual([{ type: 'phone', number: '+15550177' }]);
  });

  it('when an admin previews any date, then the same decision comes with its explanation', async () => {
    const res = await fetch(`${api}/v1/deflection/preview`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens['d-admin']}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'call',
        channel: 'ivr',
        queueId: 'q-billing',
        language: 'en',
        at: '2026-11-28T17:00:00Z',
      }),
    });
    const body = (await res.json()) as any;
    expect(body.explanation).toMatchObject({
      hours: 'global',
      timeZone: 'America/New_York',
      rule: { weekday: 'sat', localTime: '12:00' },
    });
    expect(body.nextOpening).toMatchObject({ localDate: '2026-11-30', localTime: '09:00' });
  });

  it('when the platform asks about an unknown queue or without a signature, then 404 or 401', async () => {
    expect(
      (await platformAsks({ kind: 'call', channel: 'ivr', queueId: 'q-none', language: 'en' })).status,
    ).toBe(404);
    const unsigned = await fetch(`${events}/v1/deflection/decisions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(unsigned.status).toBe(401);
  });
});

describe('transfer lists through the api (AHD-4)', () => {
  it("when the platform reports agents' presence, then the session's agent sees after-hours queues with logged-in agents", async () => {
    const config = deflectionConfig();
    // After hours whatever the hour of the test run: the support center never opens, for this test.
    const closed = { ...config.supportCenter, hours: { timeZone: 'America/New_York', weekly: {} } };
    expect((await put('d-admin', '/v1/settings/support-center', closed)).status).toBe(200);
    onTestFinished(async () => {
      expect((await put('d-admin', '/v1/settings/support-center', config.supportCenter)).status).toBe(200);
    });
    // Call deflection off: after hours, a queue is listed only while its agents are logged in.
    expect(
      (await put('d-admin', '/v1/settings/call', { ...config.call, afterHoursDeflection: false })).status,
    ).toBe(200);
    const now = new Date().toISOString();
    const event = (sequence: number, fields: Record<string, unknown>) => ({
      schemaVersion: 1,
      eventId: `tr-${sequence}`,
      sessionId: 'call-transfer',
      sequence,
      occurredAt: now,
      ...fields,
    });
    expect(
      (
        await signed(
          'POST',
          '/v1/events',
          event(0, {
            type: 'session.created',
            kind: 'call',
            channel: 'ivr',
            queue: { id: 'q-support', menuPath: ['Support'] },
            language: 'en',
            consumer: { id: 'c-1', anonymous: true },
          }),
        )
      ).status,
    ).toBe(200);
    expect(
      (await signed('POST', '/v1/events', event(1, { type: 'session.connected', agent: { id: 'd-agent' } })))
        .status,
    ).toBe(200);

    const targets = async (who: string) => {
      const res = await fetch(`${api}/v1/sessions/call-transfer/transfer-targets`, {
        headers: { authorization: `Bearer ${tokens[who]}` },
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const ids = async () =>
      (await targets('d-agent')).body.targets.map((t: { queueId: string }) => t.queueId);
    expect(await ids()).not.toContain('q-refunds');
    expect(
      await signed('PUT', '/v1/agents/u-agent-1/presence', { state: 'available', at: now }),
    ).toMatchObject({ status: 200, body: { applied: true } });
    const after: string[] = await ids();
    // Billing and Refunds (served by the agent who just logged in) are listed now.
    expect(after).toEqual(expect.arrayContaining(['q-billing', 'q-refunds']));
    expect(after).not.toContain('q-support'); // the session's own queue
    // A stale report does not log the agent out.
    expect(
      (await signed('PUT', '/v1/agents/u-agent-1/presence', { state: 'offline', at: '2020-01-01T00:00:00Z' }))
        .body,
    ).toEqual({ applied: false });
    expect(await ids()).toEqual(after);

    // Another agent's session is answered as one that does not exist.
    const other = await targets('d-other-agent');
    expect(other.status).toBe(404);
    const missing = await fetch(`${api}/v1/sessions/no-such-call/transfer-targets`, {
      headers: { authorization: `Bearer ${tokens['d-other-agent']}` },
    });
    expect(other.body).toEqual(await missing.json());
  });
});

describe('voicemails (AHD-6)', () => {
  const voicemail = (id: string, queueId: string) => ({
    voicemailId: id,
    channel: 'ivr',
    queueId,
    language: 'en',
    callerNumber: '+15551234567',
    recording: { bucket: 'voicemails', object: `${id}.wav`, durationSeconds: 42 },
    leftAt: '2026-11-24T01:05:00Z',
  });

  it('when a voicemail is left on a queue served by agents, then each of them is notified, once even if it is sent twice', async () => {
    // Two distinct timestamps, whichever second the requests are sent in: otherwise the redelivery could
    // carry the first one's timestamp and be exactly the same signed request.
    const sentAt = Math.floor(Date.now() / 1000);
    const first = await signed('POST', '/v1/voicemails', voicemail('vm-refunds', 'q-refunds'), {
      timestamp: sentAt,
    });
    expect(first).toMatchObject({
      status: 200,
      body: { route: { type: 'agents', agentIds: ['u-agent-1'] }, duplicate: false },
    });
    // A redelivery is signed afresh; the very same signed request again is refused as a copy.
    const timestamp = sentAt - 1;
    const again = await signed('POST', '/v1/voicemails', voicemail('vm-refunds', 'q-refunds'), { timestamp });
    expect(again.body.duplicate).toBe(true);
    const copy = await signed('POST', '/v1/voicemails', voicemail('vm-refunds', 'q-refunds'), { timestamp });
    expect(copy).toMatchObject({ status: 409, body: { error: { details: { reason: 'replayed_request' } } } });
    const notes = await db.collection('notifications').where('voicemailId', '==', 'vm-refunds').get();
    expect(notes.docs.map((d) => d.get('agentId'))).toEqual(['u-agent-1']);
  });

  it('when a voicemail is left on a root queue nobody serves, then it goes to the CRM outbox', async () => {
    const res = await signed('POST', '/v1/voicemails', voicemail('vm-support', 'q-support'));
    expect(res.body.route).toEqual({ type: 'crm' });
    expect((await db.doc('crmOutbox/voicemail__vm-support').get()).get('deliveredAt')).toBeNull();
  });

  it('when the voicemail is malformed, then 400 and nothing is stored', async () => {
    const res = await signed('POST', '/v1/voicemails', {
      ...voicemail('vm-bad', 'q-refunds'),
      callerNumber: '555-1234',
    });
    expect(res.status).toBe(400);
    expect((await db.doc('voicemails/vm-bad').get()).exists).toBe(false);
  });
});

describe('scheduled calls (AHD-5)', () => {
  it('when two consumers book the same slot at once, then exactly one gets it and the other is told to choose again', async () => {
    const offered = await signed('POST', '/v1/scheduled-calls/slots', {
      queueId: 'q-refunds',
      channel: 'mobile',
      language: 'en',
    });
    expect(offered.status).toBe(200);
    expect(offered.body.timeZone).toBe('America/New_York');
    const slot = offered.body.slots[0].start as string;
    const book = (bookingId: string, timestamp?: number) =>
      signed(
        'POST',
        '/v1/scheduled-calls',
        {
          bookingId,
          queueId: 'q-refunds',
          channel: 'mobile',
          language: 'en',
          slotStart: slot,
          callerNumber: '+15551230000',
        },
        timestamp === undefined ? {} : { timestamp },
      );
    // The retry below is signed with another timestamp than these, whichever second they are sent in.
    const sentAt = Math.floor(Date.now() / 1000);
    const results = await Promise.all([book('b-1', sentAt), book('b-2', sentAt), book('b-3', sentAt)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    const winner = results.find((r) => r.status === 200)!.body.bookingId as string;
    // The winner retrying (signed afresh) is told it has the slot; the slot is no longer offered.
    const retriedAt = sentAt - 1;
    expect((await book(winner, retriedAt)).body.outcome).toBe('already_booked');
    // The same signed request twice is a copy, not a retry.
    expect((await book(winner, retriedAt)).body.error.details.reason).toBe('replayed_request');
    const after = await signed('POST', '/v1/scheduled-calls/slots', {
      queueId: 'q-refunds',
      channel: 'mobile',
      language: 'en',
    });
    expect(after.body.slots.map((s: { start: string }) => s.start)).not.toContain(slot);
  });

  it('when a consumer asks for a time that is not a slot, or a queue without scheduled calls, then it is refused', async () => {
    const offTheGrid = await signed('POST', '/v1/scheduled-calls', {
      bookingId: 'b-9',
      queueId: 'q-refunds',
      channel: 'mobile',
      language: 'en',
      slotStart: '2030-01-01T03:17:00Z',
      callerNumber: '+15551230000',
    });
    expect(offTheGrid.status).toBe(400);
    const off = await signed('POST', '/v1/scheduled-calls/slots', {
      queueId: 'q-billing',
      channel: 'mobile',
      language: 'en',
    });
    expect(off.status).toBe(409);
    expect(off.body.error.details.reason).toBe('scheduled_calls_off');
  });
});

describe('settings are stored exactly as validated (AHD-11)', () => {
  const json = (value: unknown) => JSON.stringify(value);
  /** Queues and languages by id, so that the order Firestore lists them in does not matter. */
  const canonical = (config: DeflectionConfig) =>
    json({
      ...config,
      queues: Object.entries(config.queues).sort(([a], [b]) => a.localeCompare(b)),
      languages: Object.entries(config.languages).sort(([a], [b]) => a.localeCompare(b)),
    });

  /** The reference configuration with something in every optional place. */
  const richConfig = () => {
    const config = deflectionConfig();
    config.supportCenter.hours = {
      ...config.supportCenter.hours,
      weekly: { ...config.supportCenter.hours.weekly, sat: [{ open: '10:00', close: '14:00' }] },
      exceptions: [
        { date: '2026-12-25', hours: 'closed', name: 'Christmas' },
        { date: '2026-12-24', hours: [{ open: '09:00', close: '13:00' }] },
      ],
    };
    config.queues['q-billing']!.teamIds = ['team-a'];
    // Prompts that no option requires, and a language that is not enabled: leaving them out is valid.
    config.languages.en!.prompts.smsAfterHours = { type: 'tts', text: 'Closed: we text you back.' };
    config.languages.fr!.prompts.smsAfterHours = { type: 'tts', text: 'Fermé : nous vous répondrons.' };
    config.languages.de = {
      enabled: false,
      prompts: {
        afterHours: { type: 'tts', text: 'Wir haben geschlossen.' },
        voicemail: { type: 'tts', text: 'Bitte sprechen Sie nach dem Ton.' },
        voicemailBlockedNumber: { type: 'tts', text: 'Ihre Nummer ist unterdrückt.' },
        voicemailAskNumber: { type: 'tts', text: 'Bitte geben Sie Ihre Nummer ein.' },
        voicemailNumberEntered: { type: 'tts', text: 'Danke.' },
        emailDeflection: { type: 'tts', text: 'Schreiben Sie uns.' },
      },
    };
    config.queues['q-refunds']!.deflection = {
      ivr: { type: 'voicemail', greeting: { type: 'tts', text: 'Refunds are closed.' } },
    };
    config.queues['q-mobile-app']!.scheduledCalls = { enabled: true, slotMinutes: 30, horizonDays: 7 };
    config.queues['q-mobile-app']!.deflection!.mobile!.scheduledCall = true;
    return config;
  };

  const sections = {
    supportCenter: { schema: SupportCenter, route: () => '/v1/settings/support-center' },
    call: { schema: CallSettings, route: () => '/v1/settings/call' },
    chat: { schema: ChatSettings, route: () => '/v1/settings/chat' },
    queue: { schema: QueueSettings, route: (id: string) => `/v1/settings/queues/${id}` },
    language: { schema: LanguageSettings, route: (tag: string) => `/v1/settings/languages/${tag}` },
  } as const;
  type SectionName = keyof typeof sections;

  const withSection = (config: DeflectionConfig, section: SectionName, key: string, value: unknown) =>
    section === 'queue'
      ? { ...config, queues: { ...config.queues, [key]: value as QueueSettings } }
      : section === 'language'
        ? { ...config, languages: { ...config.languages, [key]: value as LanguageSettings } }
        : { ...config, [section]: value };

  /**
   * Every way to leave one thing out of a section: each field at every depth, each list item (custom
   * hours, exceptions, days' intervals, menu levels, channels, teams, agents), each prompt. Intervals,
   * prompts and a custom hour's own hours are left out whole, not taken apart.
   */
  function removals(value: unknown, path: string[] = []): { path: string; value: unknown }[] {
    if (value === null || typeof value !== 'object') return [];
    const whole = (v: object) =>
      'open' in v ||
      ('type' in v && ('text' in v || 'recordingId' in v)) ||
      (path[0] === 'customHours' && path.at(-1) === 'hours');
    if (path.length > 0 && whole(value)) return [];
    const out: { path: string; value: unknown }[] = [];
    const entries: [string, unknown][] = Array.isArray(value)
      ? value.map((v, i) => [String(i), v])
      : Object.entries(value);
    for (const [key, child] of entries) {
      const without = Array.isArray(value)
        ? value.filter((_, i) => String(i) !== key)
        : Object.fromEntries(Object.entries(value).filter(([k]) => k !== key));
      out.push({ path: [...path, key].join('.'), value: without });
      for (const inner of removals(child, [...path, key]))
        out.push({
          path: inner.path,
          value: Array.isArray(value)
            ? value.map((v, i) => (String(i) === key ? inner.value : v))
            : { ...value, [key]: inner.value },
        });
    }
    return out;
  }

  // Monday 20:00 and Saturday noon in New York, Christmas and Christmas Eve, and Monday 10:00.
  const questions = [
    { kind: 'call', channel: 'ivr', queueId: 'q-refunds', language: 'en', at: '2026-11-24T01:00:00Z' },
    { kind: 'call', channel: 'ivr', queueId: 'q-billing', language: 'fr', at: '2026-11-24T01:00:00Z' },
    { kind: 'call', channel: 'mobile', queueId: 'q-mobile-app', language: 'fr', at: '2026-11-24T01:00:00Z' },
    { kind: 'call', channel: 'web', queueId: 'q-refunds', language: 'en', at: '2026-11-24T01:00:00Z' },
    { kind: 'call', channel: 'mobile', queueId: 'q-billing', language: 'en', at: '2026-11-28T17:00:00Z' },
    { kind: 'chat', channel: 'sms', queueId: 'q-texts', language: 'en', at: '2026-11-24T01:00:00Z' },
    { kind: 'chat', channel: 'web', queueId: 'q-support', language: 'fr', at: '2026-11-28T17:00:00Z' },
    { kind: 'call', channel: 'ivr', queueId: 'q-billing', language: 'en', at: '2026-11-28T17:00:00Z' },
    { kind: 'call', channel: 'ivr', queueId: 'q-night', language: 'en', at: '2026-12-25T15:00:00Z' },
    { kind: 'chat', channel: 'mobile', queueId: 'q-billing', language: 'en', at: '2026-12-24T17:00:00Z' },
    { kind: 'call', channel: 'mobile', queueId: 'q-mobile-app', language: 'en', at: '2026-11-23T15:00:00Z' },
    { kind: 'call', channel: 'ivr', queueId: 'q-billing', language: 'de', at: '2026-11-24T01:00:00Z' },
    { kind: 'call', channel: 'mobile', queueId: 'q-refunds', language: 'de', at: '2026-11-24T01:00:00Z' },
  ] as const;

  async function readBack(): Promise<DeflectionConfig> {
    const res = await fetch(`${api}/v1/settings/deflection`, {
      headers: { authorization: `Bearer ${tokens['d-admin']}` },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { config: DeflectionConfig }).config;
  }

  async function preview(question: object) {
    const res = await fetch(`${api}/v1/deflection/preview`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens['d-admin']}`, 'content-type': 'application/json' },
      body: JSON.stringify(question),
    });
    return { status: res.status, body: (await res.json()) as unknown };
  }

  /**
   * The preview of every question, and the platform's decision for some, are what the domain decides
   * from `expected`. The engine learns of a save through a listener: it may take a moment.
   */
  async function decisionsFollow(expected: DeflectionConfig, label: string, round: number) {
    const compiled = compileDeflection(expected);
    const want = questions.map((q) =>
      json(decide(compiled, { ...q, at: Date.parse(q.at) } as ContactQuestion)),
    );
    const platformAt = [round % questions.length, (round + 5) % questions.length];
    let got: string[] = [];
    for (let attempt = 0; attempt < 100; attempt++) {
      got = await Promise.all([
        ...questions.map(async (q) => json((await preview(q)).body)),
        ...platformAt.map(async (i) => json((await platformAsks(questions[i]!)).body)),
      ]);
      if (json(got) === json([...want, ...platformAt.map((i) => want[i])])) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(got, label).toEqual([...want, ...platformAt.map((i) => want[i])]);
  }

  const cases: [string, SectionName, string][] = [
    ['the support center', 'supportCenter', ''],
    ['the call settings', 'call', ''],
    ['the chat settings', 'chat', ''],
    ['the Billing queue', 'queue', 'q-billing'],
    ['the Refunds queue', 'queue', 'q-refunds'],
    ['the Mobile app queue', 'queue', 'q-mobile-app'],
    ['the Texts queue', 'queue', 'q-texts'],
    ['the English prompts', 'language', 'en'],
    ['the French prompts', 'language', 'fr'],
    ['the German prompts, not enabled', 'language', 'de'],
  ];

  let baseline: DeflectionConfig;
  beforeAll(async () => {
    await saveAll(richConfig());
    baseline = await readBack();
  });

  it.each(cases)(
    'when each field of %s is left out in turn, then the read-back and every decision follow exactly what was validated',
    async (_name, section, key) => {
      const rich = richConfig();
      const original =
        section === 'queue'
          ? rich.queues[key]
          : section === 'language'
            ? rich.languages[key]
            : rich[section as 'call'];
      const { schema, route } = sections[section];
      // Each save is the whole section but one thing: it also puts back what the previous one left out.
      let current = baseline;
      let tried = 0;
      let saved = 0;
      for (const [round, removal] of removals(original).entries()) {
        const label = `${section} ${key} without ${removal.path}`;
        const res = await put('d-admin', route(key), removal.value);
        tried += 1;
        const parsed = schema.safeParse(removal.value);
        const next = parsed.success ? withSection(baseline, section, key, parsed.data) : current;
        const valid = parsed.success && validateDeflectionConfig(next).length === 0;
        expect(res.status, label).toBe(valid ? 200 : 400);
        if (valid) current = next;
        expect(canonical(await readBack()), label).toBe(canonical(current));
        if (!valid) continue;
        saved += 1;
        await decisionsFollow(current, label, round);
      }
      expect((await put('d-admin', route(key), original)).status).toBe(200);
      expect(canonical(await readBack())).toBe(canonical(baseline));
      expect(saved).toBeGreaterThan(0);
      expect(tried).toBeGreaterThan(saved);
    },
  );
});

describe('ids that name no queue, and instants out of range', () => {
  const prototypeIds = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];
  const version = async () => (await db.doc('settings/deflectionVersion').get()).get('version') as number;
  const ask = (path: string, body: unknown) =>
    fetch(`${api}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens['d-admin']}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(async (res) => ({ status: res.status, body: (await res.json()) as any }));

  it('when a queue id such as "constructor" or "toString" is asked about on any deflection or scheduled-call route, then 404 (or 400), never a crash', async () => {
    await saveAll(deflectionConfig());
    const before = await version();
    for (const queueId of prototypeIds) {
      const question = {
        kind: 'call',
        channel: 'mobile',
        queueId,
        language: 'en',
        at: '2026-11-24T01:00:00Z',
      };
      const answers = {
        decision: await platformAsks(question),
        preview: await ask('/v1/deflection/preview', question),
        slots: await signed('POST', '/v1/scheduled-calls/slots', {
          queueId,
          channel: 'mobile',
          language: 'en',
        }),
        booking: await signed('POST', '/v1/scheduled-calls', {
          bookingId: `b-${queueId}`,
          queueId,
          channel: 'mobile',
          language: 'en',
          slotStart: '2026-11-24T15:00:00Z',
          callerNumber: '+15551230000',
        }),
        voicemail: await signed('POST', '/v1/voicemails', {
          voicemailId: `vm-${queueId}`,
          channel: 'ivr',
          queueId,
          language: 'en',
          recording: { bucket: 'voicemails', object: 'x.wav', durationSeconds: 3 },
          leftAt: '2026-11-24T01:05:00Z',
        }),
      };
      for (const [route, answer] of Object.entries(answers))
        expect([route, queueId, answer.status, answer.body.error?.code]).toEqual([
          route,
          queueId,
          404,
          'not_found',
        ]);
      const settings = {
        parent: await put('d-admin', '/v1/settings/queues/q-new', {
          name: 'New',
          menuPath: ['New'],
          parentId: queueId,
        }),
        ivrTarget: await put('d-admin', '/v1/settings/call', {
          ...deflectionConfig().call,
          ivr: { type: 'queue', queueId },
        }),
        customHours: await put('d-admin', '/v1/settings/support-center', {
          ...deflectionConfig().supportCenter,
          customHours: [{ scope: { queueId }, hours: deflectionConfig().supportCenter.hours }],
        }),
      };
      for (const [what, answer] of Object.entries(settings))
        expect([what, answer.status, answer.body.error.details.issues[0].code]).toEqual([
          what,
          400,
          'unknown_queue',
        ]);
    }
    for (const queueId of ['__proto__', 'a/b', '']) {
      const res = await platformAsks({ kind: 'call', channel: 'ivr', queueId, language: 'en' });
      expect(res.status).toBe(400);
    }
    expect(
      (await put('d-admin', '/v1/settings/queues/__proto__', deflectionConfig().queues['q-night'])).status,
    ).toBe(400);
    expect(await version()).toBe(before);
    expect((await db.doc('voicemails/vm-constructor').get()).exists).toBe(false);
    expect(
      (await db.collection('scheduledCalls').where('bookingId', '==', 'b-constructor').get()).empty,
    ).toBe(true);
  });

  it('when a queue really is called "constructor", then it is an ordinary queue, and "toString" is still none', async () => {
    const queue = { ...deflectionConfig().queues['q-refunds']!, name: 'Constructor', parentId: 'q-billing' };
    expect((await put('d-admin', '/v1/settings/queues/constructor', queue)).status).toBe(200);
    const question = { kind: 'call', channel: 'ivr', language: 'en', at: '2026-11-24T01:00:00Z' };
    let decision = await platformAsks({ ...question, queueId: 'constructor' });
    for (let i = 0; i < 100 && decision.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 20));
      decision = await platformAsks({ ...question, queueId: 'constructor' });
    }
    expect(decision.body.offers).toEqual([
      expect.objectContaining({ type: 'voicemail', deliverTo: { agentIds: ['u-agent-1'] } }),
    ]);
    expect((await platformAsks({ ...question, queueId: 'toString' })).status).toBe(404);
  });

  it('when a preview, a decision or a booking names an instant before 1970 or after 2199, then 400 naming it', async () => {
    for (const at of [
      '0000-01-01T00:00:00Z',
      '1969-12-31T23:59:59Z',
      '2200-01-01T00:00:00Z',
      '9999-12-31T23:59:59Z',
    ]) {
      const question = { kind: 'call', channel: 'ivr', queueId: 'q-billing', language: 'en', at };
      for (const res of [await platformAsks(question), await ask('/v1/deflection/preview', question)]) {
        expect(res.status).toBe(400);
        expect(res.body.error.details.issues.map((i: { path: string }) => i.path)).toEqual(['at']);
      }
      const booking = await signed('POST', '/v1/scheduled-calls', {
        bookingId: 'b-far',
        queueId: 'q-refunds',
        channel: 'mobile',
        language: 'en',
        slotStart: at,
        callerNumber: '+15551230000',
      });
      expect(booking.status).toBe(400);
      expect(booking.body.error.details.issues.map((i: { path: string }) => i.path)).toEqual(['slotStart']);
    }
    const inRange = await platformAsks({
      kind: 'call',
      channel: 'ivr',
      queueId: 'q-billing',
      language: 'en',
      at: '2199-12-31T23:59:59Z',
    });
    expect(inRange.status).toBe(200);
  });
});
