import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Firestore } from '@google-cloud/firestore';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { OpenAPIBackend, type Document } from 'openapi-backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentListing } from '../../functions/src/domain/supervision/agent-listing.js';
import { signPlatformRequest } from '../../functions/src/http/platform-signature.js';
import { configureLogs } from '../../functions/src/log.js';
import { ROOT } from '../../scripts/export-schemas.js';
import { serveFunctions } from '../../scripts/stack/functions.js';
import { deflectionConfig } from '../support/deflection-config.js';
import { createAccount, signIn } from '../support/people.js';
import { AUTH_TEST_PROJECT } from '../support/projects.js';

/**
 * The served API documents, used by a generic OpenAPI request and response validator: requests the
 * running functions accept are valid by the document, and what they answer is what it describes.
 * A client generated from the document would send and read exactly these.
 */
const projectId = AUTH_TEST_PROJECT;
const databaseId = 'api-contract';
const SECRET = 'api-contract-secret-0123456789abcdef012345';
const db = new Firestore({ projectId, databaseId });
const urls = { api: '', platformEvents: '' };
const documents = new Map<keyof typeof urls, Document>();
const validators = new Map<keyof typeof urls, OpenAPIBackend>();
let token = '';
let stop: () => Promise<void> = async () => {};

/**
 * openapi-backend's request and response validator, on a JSON Schema 2020-12 engine (the dialect of
 * OpenAPI 3.1). Its own check of the whole document knows the 3.0 schema only: the document is checked
 * against the 3.1 schema in test/unit/api-contract.test.ts instead.
 */
class OpenApi31Backend extends OpenAPIBackend {
  override validateDefinition() {
    return this.document;
  }
}

function validatorOf(definition: Document) {
  return new OpenApi31Backend({
    definition,
    strict: true,
    coerceTypes: true,
    customizeAjv: (_draft7: unknown, options: object) => {
      const ajv = new Ajv2020.default({ ...options, strict: false, allErrors: true });
      addFormats.default(ajv);
      return ajv as never;
    },
  });
}

beforeAll(async () => {
  Object.assign(process.env, {
    GOOGLE_CLOUD_PROJECT: projectId,
    FIRESTORE_DATABASE_ID: databaseId,
    PLATFORM_SIGNING_SECRET: SECRET,
    DIRECTORY_CACHE_SECONDS: '0',
  });
  const person = { uid: 'c-admin', name: 'Ada Admin', roleIds: ['admin'], teamIds: ['team-a'] };
  await db.doc(`users/${person.uid}`).set({ ...person, ...agentListing(person) });
  await createAccount(projectId, person.uid, 'c-admin@acme.example');
  token = await signIn('c-admin@acme.example');
  const served = await serveFunctions({ api: 0, platformEvents: 0 });
  configureLogs({ sink: () => {} });
  for (const name of ['api', 'platformEvents'] as const) {
    urls[name] = served.functions.find((f) => f.name === name)!.url;
    const res = await fetch(`${urls[name]}/v1/openapi.json`);
    expect(res.status).toBe(200);
    const document = (await res.json()) as Document;
    // The validator dereferences the document it is given in place: it gets a copy.
    documents.set(name, structuredClone(document));
    const validator = validatorOf(document);
    await validator.init();
    validators.set(name, validator);
  }
  stop = served.stop;
}, 120_000);

afterAll(async () => {
  await stop();
  await db.terminate();
  delete process.env.FIRESTORE_DATABASE_ID;
});

interface Exchange {
  fn: keyof typeof urls;
  method: string;
  path: string;
  query?: Record<string, string>;
  body?: unknown;
}

/**
 * Validates the request by the document, sends it as a client would (an admin's token on the api, the
 * platform's signature on platformEvents), then validates the answer by the document.
 */
async function exchange({ fn, method, path, query = {}, body }: Exchange) {
  const validator = validators.get(fn)!;
  const target = `${path}${Object.keys(query).length ? `?${new URLSearchParams(query)}` : ''}`;
  const text = body === undefined ? undefined : JSON.stringify(body);
  const timestamp = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...(fn === 'api'
      ? { authorization: `Bearer ${token}` }
      : {
          'x-switchboard-timestamp': String(timestamp),
          'x-switchboard-signature': signPlatformRequest(SECRET, timestamp, {
            method,
            path: target,
            body: text ?? '',
          }),
        }),
  };
  const request = { method, path, query, headers, ...(body !== undefined ? { body } : {}) };
  const operation = validator.matchOperation(request);
  const requestCheck = validator.validateRequest(request, operation);
  const res = await fetch(`${urls[fn]}${target}`, { method, headers, ...(text ? { body: text } : {}) });
  const answer = res.status === 204 ? undefined : ((await res.json()) as unknown);
  const answerCheck = operation
    ? validator.validateResponse(answer, operation, res.status)
    : { valid: false, errors: ['no operation'] };
  return {
    operationId: operation?.operationId,
    requestValid: requestCheck.valid,
    requestErrors: requestCheck.errors ?? [],
    status: res.status,
    answer,
    answerValid: answerCheck.valid,
    answerErrors: answerCheck.errors ?? [],
  };
}

const config = deflectionConfig();

describe('the served API documents with a generic OpenAPI validator', () => {
  it('when each function is asked for its document, then it serves the committed one, for the routes it has', () => {
    for (const [name, file] of [
      ['api', 'schemas/openapi.api.json'],
      ['platformEvents', 'schemas/openapi.platform-events.json'],
    ] as const) {
      const committed = JSON.parse(readFileSync(resolve(ROOT, file), 'utf8')) as Document & {
        paths: Record<string, unknown>;
      };
      const served = documents.get(name)!;
      // A function serves the routes it has: the api without recordings configured has none of theirs.
      expect(served.openapi).toBe(committed.openapi);
      expect(served.info).toEqual(committed.info);
      expect(served.components?.schemas).toEqual(committed.components?.schemas);
      expect(committed.components?.securitySchemes).toMatchObject(served.components?.securitySchemes ?? {});
      expect(Object.keys(served.paths ?? {}).length).toBeGreaterThan(5);
      for (const [path, operations] of Object.entries(served.paths ?? {}))
        expect(operations, path).toEqual(committed.paths[path]);
    }
  });

  it('when an admin saves every settings section, then each request and each answer is one the document describes', async () => {
    const saves: Exchange[] = [
      ...Object.entries(config.languages).map(([tag, body]) => ({
        fn: 'api' as const,
        method: 'PUT',
        path: `/v1/settings/languages/${tag}`,
        body,
      })),
      ...Object.entries(config.queues).map(([id, body]) => ({
        fn: 'api' as const,
        method: 'PUT',
        path: `/v1/settings/queues/${id}`,
        body,
      })),
      { fn: 'api', method: 'PUT', path: '/v1/settings/support-center', body: config.supportCenter },
      { fn: 'api', method: 'PUT', path: '/v1/settings/call', body: config.call },
      { fn: 'api', method: 'PUT', path: '/v1/settings/chat', body: config.chat },
    ];
    for (const save of saves) {
      const result = await exchange(save);
      expect(result, save.path).toMatchObject({
        status: 200,
        requestValid: true,
        answerValid: true,
        answerErrors: [],
      });
    }
    const read = await exchange({ fn: 'api', method: 'GET', path: '/v1/settings/deflection' });
    expect(read).toMatchObject({ status: 200, answerValid: true, answerErrors: [] });
    expect(read.answer).toMatchObject({ config: { supportCenter: { name: config.supportCenter.name } } });
  });

  it('when the platform sends events and asks for a decision, then the requests and answers are the documented ones', async () => {
    const at = new Date().toISOString();
    const events = [
      {
        schemaVersion: 1,
        sessionId: 'contract-call',
        eventId: 'contract-call-0',
        sequence: 0,
        occurredAt: at,
        type: 'session.created',
        kind: 'call',
        channel: 'ivr',
        queue: { id: 'q-billing', menuPath: ['Billing'] },
        language: 'en',
        consumer: { id: 'c-1', name: 'Ada Lovelace', anonymous: false },
        metadata: { reserved_repeat_customer: true, plan: 'gold' },
      },
      {
        schemaVersion: 1,
        sessionId: 'contract-call',
        eventId: 'contract-call-1',
        sequence: 1,
        occurredAt: at,
        type: 'session.connected',
        agent: { id: 'agent-1', name: 'Ari Agent' },
      },
      {
        schemaVersion: 1,
        sessionId: 'contract-call',
        eventId: 'contract-call-2',
        sequence: 2,
        occurredAt: at,
        type: 'metadata.updated',
        source: 'sip',
        metadata: { reserved_bad_actor: true },
      },
    ];
    for (const body of events) {
      const result = await exchange({ fn: 'platformEvents', method: 'POST', path: '/v1/events', body });
      expect(result).toMatchObject({
        operationId: 'ingestSessionEvent',
        status: 200,
        requestValid: true,
        answerValid: true,
      });
    }
    const decision = await exchange({
      fn: 'platformEvents',
      method: 'POST',
      path: '/v1/deflection/decisions',
      body: {
        kind: 'call',
        channel: 'ivr',
        queueId: 'q-refunds',
        language: 'en',
        consumerTimeZone: 'Europe/Paris',
      },
    });
    expect(decision).toMatchObject({ status: 200, requestValid: true, answerValid: true, answerErrors: [] });
    const reserved = await exchange({
      fn: 'platformEvents',
      method: 'PATCH',
      path: '/v1/sessions/contract-call/reserved-data',
      body: { eventId: 'contract-call-3', sequence: 3, occurredAt: at, reserved_verified_customer: true },
    });
    expect(reserved).toMatchObject({ status: 200, requestValid: true, answerValid: true, answerErrors: [] });
    const readBack = await exchange({
      fn: 'platformEvents',
      method: 'GET',
      path: '/v1/sessions/contract-call/reserved-data',
    });
    expect(readBack).toMatchObject({ status: 200, answerValid: true, answerErrors: [] });
    expect(readBack.answer).toMatchObject({ reserved_verified_customer: true, reserved_bad_actor: true });
  });

  it('when a supervisor lists sessions and opens one, then the answers are the documented ones', async () => {
    const list = await exchange({
      fn: 'api',
      method: 'GET',
      path: '/v1/sessions',
      query: { kind: 'call', state: 'connected', pageSize: '10' },
    });
    expect(list).toMatchObject({ status: 200, requestValid: true, answerValid: true, answerErrors: [] });
    expect((list.answer as { items: { id: string }[] }).items.map((s) => s.id)).toContain('contract-call');
    const details = await exchange({ fn: 'api', method: 'GET', path: '/v1/sessions/contract-call' });
    expect(details).toMatchObject({ status: 200, requestValid: true, answerValid: true, answerErrors: [] });
    const me = await exchange({ fn: 'api', method: 'GET', path: '/v1/me' });
    expect(me).toMatchObject({ status: 200, answerValid: true, answerErrors: [] });
  });

  it('when a request is one the document refuses, then the function refuses it too, with the documented error', async () => {
    const refused = await exchange({
      fn: 'api',
      method: 'GET',
      path: '/v1/sessions',
      query: { kind: 'fax', state: 'connected' },
    });
    expect(refused).toMatchObject({ status: 400, requestValid: false, answerValid: true, answerErrors: [] });
    expect(refused.answer).toMatchObject({ error: { code: 'invalid_request' } });
  });
});
