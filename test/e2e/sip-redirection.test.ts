import { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { agentListing } from '../../functions/src/domain/supervision/agent-listing.js';
import { configureLogs } from '../../functions/src/log.js';
import { serveFunctions } from '../../scripts/stack/functions.js';
import { deflectionConfig } from '../support/deflection-config.js';
import { createAccount, signIn } from '../support/people.js';
import { sendSigned } from '../support/platform.js';
import { AUTH_TEST_PROJECT } from '../support/projects.js';

/**
 * A queue's SIP redirection (RDP-3) and virtual agent data parameters (RDP-4) saved by an admin through
 * the api, and what the platform is told to send when it redirects a session's call, over HTTP on the
 * emulators. A database of its own keeps it apart from the other files signing people in.
 */
const projectId = AUTH_TEST_PROJECT;
const databaseId = 'sip-redirection-e2e';
const SECRET = 'sip-redirection-secret-0123456789abcdef01';
const db = new Firestore({ projectId, databaseId });
let api = '';
let events = '';
let stop: () => Promise<void> = async () => {};
const tokens: Record<string, string> = {};
const logged: string[] = [];

async function call(who: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function platform(path: string, payload: unknown, options: { secret?: string } = {}) {
  const res = await sendSigned(`${events}${path}`, JSON.stringify(payload), {
    secret: options.secret ?? SECRET,
  });
  return { status: res.status, body: (await res.json()) as any };
}

const askSip = (sessionId: string) => platform('/v1/sip-redirections', { sessionId });

const parameter = (field: string, source_field: string) => ({
  field,
  type: 'dynamic',
  source: 'ujet_metadata',
  source_field,
});

/** The seed's example, with the reserved keys as incoming fields, and one field of the SDK's own. */
const SIP = {
  uri: 'sip:support@pbx.acme.example;transport=tls',
  data_parameters_enabled: true,
  data_parameters: [
    parameter('verified_customer', 'reserved_verified_customer'),
    parameter('bad_actor', 'reserved_bad_actor'),
    parameter('repeat_customer', 'reserved_repeat_customer'),
    parameter('order', 'order_number'),
  ],
  data_records: { in_metadata: true, in_crm_record: true },
};

const VERIFIED_TO_CRM = {
  data_parameters: [
    {
      type: 'dynamic',
      source: 'session_metadata',
      incoming_field: 'verified_customer',
      destination_field: 'Verified_Customer__c',
    },
  ],
};

const version = async () => Number((await db.doc('settings/deflectionVersion').get()).get('version') ?? 0);

beforeAll(async () => {
  Object.assign(process.env, {
    GOOGLE_CLOUD_PROJECT: projectId,
    FIRESTORE_DATABASE_ID: databaseId,
    PLATFORM_SIGNING_SECRET: SECRET,
    DIRECTORY_CACHE_SECONDS: '0',
  });
  for (const [uid, roleIds] of [
    ['sip-admin', ['admin']],
    ['sip-manager', ['manager']],
    ['sip-agent', ['agent']],
  ] as const) {
    const person = { uid, name: uid, roleIds: [...roleIds], teamIds: ['team-a'] };
    await db.doc(`users/${uid}`).set({ ...person, ...agentListing(person) });
    await createAccount(projectId, uid, `${uid}@acme.example`);
    tokens[uid] = await signIn(`${uid}@acme.example`);
  }
  const served = await serveFunctions({ api: 0, platformEvents: 0 });
  configureLogs({ sink: (line) => logged.push(line) });
  api = served.functions.find((f) => f.name === 'api')!.url;
  events = served.functions.find((f) => f.name === 'platformEvents')!.url;
  stop = served.stop;

  const config = deflectionConfig();
  for (const [tag, language] of Object.entries(config.languages))
    expect((await call('sip-admin', 'PUT', `/v1/settings/languages/${tag}`, language)).status).toBe(200);
  for (const [id, queue] of Object.entries(config.queues))
    expect((await call('sip-admin', 'PUT', `/v1/settings/queues/${id}`, queue)).status).toBe(200);
  for (const [path, body] of [
    ['/v1/settings/support-center', config.supportCenter],
    ['/v1/settings/call', config.call],
    ['/v1/settings/chat', config.chat],
  ] as const)
    expect((await call('sip-admin', 'PUT', path, body)).status).toBe(200);
});

afterAll(async () => {
  await stop();
  await db.terminate();
  delete process.env.FIRESTORE_DATABASE_ID;
});

describe('SIP redirection settings through the api (RDP-3)', () => {
  it('when an admin saves a queue’s SIP redirection, then it reads back exactly, in the whole configuration too, and the audit trail says who changed which queue', async () => {
    const saved = await call('sip-admin', 'PUT', '/v1/settings/queues/q-support/sip-redirection', SIP);
    expect(saved.status).toBe(200);
    expect(saved.body).toEqual({ version: await version(), sipRedirection: SIP });
    expect((await call('sip-admin', 'GET', '/v1/settings/queues/q-support/sip-redirection')).body).toEqual(
      SIP,
    );
    expect((await call('sip-admin', 'GET', '/v1/settings/deflection')).body.config.sipRedirections).toEqual({
      'q-support': SIP,
    });
    const audit = await call('sip-admin', 'GET', '/v1/audit?actorUid=sip-admin&pageSize=100');
    expect(audit.body.items).toContainEqual(
      expect.objectContaining({
        action: 'sip_redirection.changed',
        actorUid: 'sip-admin',
        subject: { type: 'queue', id: 'q-support' },
      }),
    );
  });

  it('when someone without Settings-Edit (a manager, an agent) saves or reads it, then 403 and nothing is written', async () => {
    const before = await version();
    const stored = (await db.doc('queueSipRedirections/q-billing').get()).exists;
    for (const who of ['sip-manager', 'sip-agent']) {
      const put = await call(who, 'PUT', '/v1/settings/queues/q-billing/sip-redirection', SIP);
      expect([put.status, put.body.error.details]).toEqual([
        403,
        { reason: 'missing_permission', permission: 'Settings-Edit' },
      ]);
      expect((await call(who, 'GET', '/v1/settings/queues/q-support/sip-redirection')).status).toBe(403);
    }
    expect(await version()).toBe(before);
    expect((await db.doc('queueSipRedirections/q-billing').get()).exists).toBe(stored);
  });

  it('when the settings are invalid, then 400 lists every problem with its path and nothing is written', async () => {
    const before = await version();
    const malformed = await call('sip-admin', 'PUT', '/v1/settings/queues/q-billing/sip-redirection', {
      ...SIP,
      uri: 'sip:support@pbx.acme.example?Via=evil',
      data_parameters: [parameter('x\r\nVia', 'order_number'), parameter('ok', 'has space')],
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.details.issues.map((i: { path: string }) => i.path)).toEqual([
      'uri',
      'data_parameters.0.field',
      'data_parameters.1.source_field',
    ]);

    const duplicates = await call('sip-admin', 'PUT', '/v1/settings/queues/q-billing/sip-redirection', {
      ...SIP,
      data_parameters: [parameter('Order', 'a'), parameter('order', 'b'), parameter('ORDER', 'c')],
    });
    expect(duplicates.status).toBe(400);
    expect(
      duplicates.body.error.details.issues.map((i: { path: string; code: string }) => [i.path, i.code]),
    ).toEqual([
      ['sipRedirections.q-billing.data_parameters.1.field', 'duplicate_field'],
      ['sipRedirections.q-billing.data_parameters.2.field', 'duplicate_field'],
    ]);

    const textsOnly = await call('sip-admin', 'PUT', '/v1/settings/queues/q-texts/sip-redirection', SIP);
    expect([textsOnly.status, textsOnly.body.error.details.issues[0].code]).toEqual([
      400,
      'channel_not_served',
    ]);
    const unknown = await call('sip-admin', 'PUT', '/v1/settings/queues/q-gone/sip-redirection', SIP);
    expect(unknown.status).toBe(404);
    expect(await version()).toBe(before);
    expect((await db.doc('queueSipRedirections/q-billing').get()).exists).toBe(false);
  });

  it('when an admin removes a queue’s SIP redirection, then the queue can stop taking calls, and the removal is audited; a manager is refused', async () => {
    const billing = deflectionConfig().queues['q-billing']!;
    const chatOnly = { ...billing, channels: ['web'] };
    const path = '/v1/settings/queues/q-billing/sip-redirection';
    expect((await call('sip-admin', 'PUT', path, SIP)).status).toBe(200);
    const refused = await call('sip-admin', 'PUT', '/v1/settings/queues/q-billing', chatOnly);
    expect([refused.status, refused.body.error.details.issues[0].code]).toEqual([400, 'channel_not_served']);

    const before = await version();
    const denied = await call('sip-manager', 'DELETE', path);
    expect([denied.status, denied.body.error.details]).toEqual([
      403,
      { reason: 'missing_permission', permission: 'Settings-Edit' },
    ]);
    expect(await version()).toBe(before);
    expect((await call('sip-admin', 'GET', path)).body).toEqual(SIP);

    const removed = await call('sip-admin', 'DELETE', path);
    expect(removed).toEqual({ status: 200, body: { version: await version() } });
    expect((await call('sip-admin', 'GET', path)).status).toBe(404);
    expect((await call('sip-admin', 'DELETE', path)).status).toBe(200);
    expect((await call('sip-admin', 'PUT', '/v1/settings/queues/q-billing', chatOnly)).status).toBe(200);
    const audit = await call('sip-admin', 'GET', '/v1/audit?actorUid=sip-admin&pageSize=100');
    expect(audit.body.items).toContainEqual(
      expect.objectContaining({
        action: 'sip_redirection.removed',
        subject: { type: 'queue', id: 'q-billing' },
      }),
    );
    expect((await call('sip-admin', 'PUT', '/v1/settings/queues/q-billing', billing)).status).toBe(200);
  });
});

describe('virtual agent data parameters through the api (RDP-4)', () => {
  it('when an admin passes verified customer to a queue’s virtual agent, then the answer and the read-back show the preview, and it is audited', async () => {
    const preview = {
      label: 'Dynamic · Session metadata · Verified customer → Verified_Customer__c',
      dialogflowParameter: '$session.params.Verified_Customer__c',
      example: { Verified_Customer__c: true },
    };
    const withPreview = { data_parameters: [{ ...VERIFIED_TO_CRM.data_parameters[0], preview }] };
    const saved = await call(
      'sip-admin',
      'PUT',
      '/v1/settings/queues/q-night/virtual-agent',
      VERIFIED_TO_CRM,
    );
    expect(saved.status).toBe(200);
    expect(saved.body).toEqual({ version: await version(), ...withPreview });
    expect((await call('sip-admin', 'GET', '/v1/settings/queues/q-night/virtual-agent')).body).toEqual(
      withPreview,
    );
    expect((await call('sip-admin', 'GET', '/v1/settings/deflection')).body.config.virtualAgents).toEqual({
      'q-night': VERIFIED_TO_CRM,
    });
    const audit = await call('sip-admin', 'GET', '/v1/audit?actorUid=sip-admin&pageSize=100');
    expect(audit.body.items).toContainEqual(
      expect.objectContaining({ action: 'virtual_agent.changed', subject: { type: 'queue', id: 'q-night' } }),
    );
    const denied = await call(
      'sip-manager',
      'PUT',
      '/v1/settings/queues/q-night/virtual-agent',
      VERIFIED_TO_CRM,
    );
    expect(denied.status).toBe(403);
    for (const who of ['sip-manager', 'sip-agent']) {
      const read = await call(who, 'GET', '/v1/settings/queues/q-night/virtual-agent');
      expect([read.status, read.body.error.details]).toEqual([
        403,
        { reason: 'missing_permission', permission: 'Settings-Edit' },
      ]);
    }
  });

  it('when the queue has no virtual agent, or the destination is no Dialogflow CX parameter id, then 400 says why and nothing is written', async () => {
    const before = await version();
    const noAgent = await call(
      'sip-admin',
      'PUT',
      '/v1/settings/queues/q-billing/virtual-agent',
      VERIFIED_TO_CRM,
    );
    expect([noAgent.status, noAgent.body.error.details.issues]).toEqual([
      400,
      [
        {
          path: 'virtualAgents.q-billing',
          code: 'no_virtual_agent',
          message:
            'Queue q-billing has no virtual agent assigned: assign one before passing it data parameters.',
        },
      ],
    ]);
    const badName = await call('sip-admin', 'PUT', '/v1/settings/queues/q-night/virtual-agent', {
      data_parameters: [{ ...VERIFIED_TO_CRM.data_parameters[0], destination_field: 'verified customer' }],
    });
    expect([badName.status, badName.body.error.details.issues[0].path]).toEqual([
      400,
      'data_parameters.0.destination_field',
    ]);
    expect(await version()).toBe(before);
  });
});

describe('what the platform sends on a SIP redirection (RDP-3, RDP-4)', () => {
  const created = (sessionId: string, queueId: string, metadata?: Record<string, string | boolean>) => ({
    schemaVersion: 1,
    sessionId,
    eventId: `${sessionId}-0`,
    sequence: 0,
    occurredAt: new Date().toISOString(),
    type: 'session.created',
    kind: 'call',
    channel: 'ivr',
    queue: { id: queueId, menuPath: [queueId] },
    language: 'en',
    consumer: { id: `c-${sessionId}`, name: 'Ada Lovelace', anonymous: false },
    ...(metadata ? { metadata } : {}),
  });

  it('when the queue has virtual agent settings but no SIP redirection, then the virtual agent’s parameters carry the session’s verified customer flag; a chat is refused', async () => {
    const call = created('sip-va-1', 'q-night', { reserved_verified_customer: true });
    expect((await platform('/v1/events', call)).status).toBe(200);
    expect(await askSip('sip-va-1')).toEqual({
      status: 200,
      body: {
        queueId: 'q-night',
        uri: null,
        headers: [],
        notSent: [],
        records: { metadata: null, crmRecord: null },
        virtualAgent: {
          verifiedCustomerField: 'Verified_Customer__c',
          parameters: { Verified_Customer__c: true },
        },
      },
    });
    const chat = { ...created('sip-chat-1', 'q-support'), kind: 'chat', channel: 'web' };
    expect((await platform('/v1/events', chat)).status).toBe(200);
    const refused = await askSip('sip-chat-1');
    expect([refused.status, refused.body.error.details.reason]).toEqual([409, 'not_a_call']);
  });

  it('when the session carries profile flags and metadata, then the exact headers and records are answered, and what it lacks is said, not made up', async () => {
    // The SDK's metadata at the start: two reserved properties (profile flags) and the app's own keys.
    const metadata = {
      reserved_verified_customer: true,
      reserved_bad_actor: false,
      order_number: 'A-1042 / "rush"\r\nVia: SIP/2.0/UDP evil',
      plan: 'gold',
    };
    expect((await platform('/v1/events', created('sip-call-1', 'q-support', metadata))).status).toBe(200);
    logged.length = 0;
    const answer = await askSip('sip-call-1');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      queueId: 'q-support',
      uri: 'sip:support@pbx.acme.example;transport=tls',
      headers: [
        { name: 'X-verified_customer', value: 'true' },
        { name: 'X-bad_actor', value: 'false' },
        { name: 'X-order', value: 'A-1042%20%2F%20%22rush%22%0D%0AVia%3A%20SIP%2F2.0%2FUDP%20evil' },
      ],
      notSent: [
        { field: 'repeat_customer', sourceField: 'reserved_repeat_customer', reason: 'not_in_session' },
      ],
      records: {
        metadata: {
          verified_customer: true,
          bad_actor: false,
          order: 'A-1042 / "rush"\r\nVia: SIP/2.0/UDP evil',
        },
        crmRecord: {
          verified_customer: true,
          bad_actor: false,
          order: 'A-1042 / "rush"\r\nVia: SIP/2.0/UDP evil',
        },
      },
      virtualAgent: null,
    });
    expect(logged.join('\n')).not.toContain('A-1042');
  });

  it('when an admin changes the settings, then the next answer follows what was saved, exactly as it was checked', async () => {
    const sent = await platform('/v1/events', created('sip-call-2', 'q-night', { order_number: 'B-7' }));
    expect(sent.status).toBe(200);
    const night = {
      uri: 'sips:night@203.0.113.7:5061',
      data_parameters_enabled: true,
      data_parameters: [parameter('order', 'order_number')],
      data_records: { in_metadata: false, in_crm_record: true },
    };
    expect(
      (await call('sip-admin', 'PUT', '/v1/settings/queues/q-night/sip-redirection', night)).status,
    ).toBe(200);
    await vi.waitFor(async () => expect((await askSip('sip-call-2')).status).toBe(200));
    expect((await askSip('sip-call-2')).body).toEqual({
      queueId: 'q-night',
      uri: 'sips:night@203.0.113.7:5061',
      headers: [{ name: 'X-order', value: 'B-7' }],
      notSent: [],
      records: { metadata: null, crmRecord: { order: 'B-7' } },
      virtualAgent: { verifiedCustomerField: 'Verified_Customer__c', parameters: {} },
    });

    const off = { ...night, data_parameters_enabled: false };
    expect((await call('sip-admin', 'PUT', '/v1/settings/queues/q-night/sip-redirection', off)).status).toBe(
      200,
    );
    await vi.waitFor(async () => expect((await askSip('sip-call-2')).body.headers).toEqual([]));
    expect((await askSip('sip-call-2')).body.records).toEqual({ metadata: null, crmRecord: null });
  });

  it('when the session is unknown, its queue has no SIP redirection, or the request is not signed by the platform, then nothing is answered', async () => {
    expect((await askSip('sip-nobody')).status).toBe(404);
    expect((await platform('/v1/events', created('sip-call-3', 'q-refunds'))).status).toBe(200);
    const none = await askSip('sip-call-3');
    expect([none.status, none.body.error.message]).toEqual([
      404,
      'The SIP redirection of queue q-refunds was not found.',
    ]);
    const forged = await platform(
      '/v1/sip-redirections',
      { sessionId: 'sip-call-1' },
      { secret: 'not-the-secret-0123456789abcdef0123' },
    );
    expect(forged.status).toBe(401);
    expect((await platform('/v1/sip-redirections', { sessionId: 'sip-call-1', extra: 1 })).status).toBe(400);
  });
});
