import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateKeyFrom, signAssertion } from '../../functions/src/adapters/salesforce/jwt.js';
import { startSalesforceServer, type SalesforceServer } from '../salesforce.js';

/**
 * The local CRM's failure injection over HTTP (`/__control/faults`), as someone driving `npm start`
 * uses it with curl: checked input, the faults served in order, the org's API usage; and its clock,
 * moved forward with the rest of the local stack.
 */
const CLIENT_ID = 'control-test-app';
const USERNAME = 'control@switchboard.local';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
let crm: SalesforceServer;

beforeAll(async () => {
  crm = await startSalesforceServer({
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    clientId: CLIENT_ID,
    username: USERNAME,
  });
});
afterAll(() => crm?.close());

const control = (method: string, body?: unknown) =>
  fetch(`${crm.url}/__control/faults`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
/** A look-up with no session: answered 401 unless a fault comes first, as faults do. */
const query = () =>
  fetch(
    `${crm.url}/services/data/v62.0/query?q=${encodeURIComponent("SELECT Id FROM Case WHERE Switchboard_Session_Key__c = 'k'")}`,
  );

interface ControlState {
  pending: { fault: { type: string }; on: string; remaining: number }[];
  apiUsage: { used: number; max: number };
  tokensIssued: number;
}

describe('the local CRM’s faults over HTTP', () => {
  it('when faults are injected, then the next matching requests fail with them in order, then requests are answered again; the counters show it', async () => {
    const before = (await (await control('GET')).json()) as ControlState;
    expect(before.pending).toEqual([]);

    const injected = await control('POST', { count: 2, fault: 'html503', on: 'query' });
    expect(injected.status).toBe(201);
    expect(((await injected.json()) as ControlState).pending).toEqual([
      { fault: { type: 'html503' }, on: 'query', remaining: 2 },
    ]);
    expect(
      (await control('POST', { count: 1, fault: { type: 'limit', retryAfterSeconds: 30 } })).status,
    ).toBe(201);

    const answers = [];
    for (let i = 0; i < 4; i++) {
      const res = await query();
      answers.push([res.status, res.headers.get('retry-after')]);
      await res.arrayBuffer();
    }
    expect(answers).toEqual([
      [503, null],
      [503, null],
      [403, '30'],
      [401, null],
    ]);
    const after = (await (await control('GET')).json()) as ControlState;
    expect(after.pending).toEqual([]);
    // The four look-ups count; the control requests are not Salesforce's and do not.
    expect(after.apiUsage).toEqual({ used: before.apiUsage.used + 4, max: 15_000 });
    expect(crm.requests().filter((r) => r.path.startsWith('/__control'))).toEqual([]);
  });

  it('when faults are cleared, then none of them is served', async () => {
    await control('POST', { count: 5, fault: 'expired' });
    const cleared = await control('DELETE');
    expect([cleared.status, ((await cleared.json()) as ControlState).pending]).toEqual([200, []]);
    const res = await query();
    expect(res.status).toBe(401);
    expect(((await res.json()) as { errorCode: string }[])[0]?.errorCode).toBe('INVALID_SESSION_ID');
  });

  it('when the request is malformed, then 400 names the problem and nothing is injected', async () => {
    const refusals: [unknown, RegExp][] = [
      ['{not json', /not JSON/],
      [[1], /JSON object/],
      [{ count: 0, fault: 'hang' }, /count must be a whole number from 1 to 1000/],
      [{ count: 1.5, fault: 'hang' }, /count must be/],
      [{ count: 1001, fault: 'hang' }, /count must be/],
      [{ count: '2', fault: 'hang' }, /count must be/],
      [{ count: 1, fault: 'meltdown' }, /fault must be one of limit, expired, html503, hang,/],
      [{ count: 1, fault: { type: 'constructor' } }, /fault must be one of/],
      [{ count: 1 }, /fault must be one of/],
      [{ count: 1, fault: { type: 'limit', retryAfterSeconds: -1 } }, /retryAfterSeconds must be/],
      [{ count: 1, fault: { type: 'limit', seconds: 5 } }, /takes only retryAfterSeconds, got seconds/],
      [{ count: 1, fault: { type: 'hang', forever: true } }, /hang takes no parameters, got forever/],
      [{ count: 1, fault: 'hang', on: 'token' }, /on must be one of any, query, upload, write/],
      [{ count: 1, fault: 'hang', later: true }, /unknown fields: later/],
    ];
    for (const [body, message] of refusals) {
      const res = await control('POST', body);
      const answer = (await res.json()) as { error: { message: string } };
      expect([res.status, answer.error.message], JSON.stringify(body)).toEqual([
        400,
        expect.stringMatching(message),
      ]);
    }
    expect((await control('POST', JSON.stringify({ count: 1, fault: 'x'.repeat(20_000) }))).status).toBe(413);
    expect((await control('PUT', { count: 1, fault: 'hang' })).status).toBe(405);
    expect(((await (await control('GET')).json()) as ControlState).pending).toEqual([]);
  });

  it('when any fault the server names is asked for, then it is injected', async () => {
    const refused = (await (await control('POST', { count: 1, fault: '?' })).json()) as {
      error: { message: string };
    };
    const known = /one of (.+?) \(/.exec(refused.error.message)![1]!.split(', ');
    expect(known.length).toBeGreaterThanOrEqual(8);
    for (const type of known)
      expect((await control('POST', { count: 1, fault: type })).status, type).toBe(201);
    const state = (await (await control('DELETE')).json()) as ControlState;
    expect(state.pending).toEqual([]);
  });
});

describe('the local CRM’s clock', () => {
  const login = (now: Date) =>
    fetch(`${crm.url}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: signAssertion(
          privateKeyFrom(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
          { clientId: CLIENT_ID, username: USERNAME, audience: crm.url },
          now,
        ),
      }),
    });

  it('when it is moved forward a week, then a login stamped a week ahead is accepted, as one stamped now was before', async () => {
    const week = 7 * 24 * 3_600_000;
    expect((await login(new Date())).status).toBe(200);
    expect((await login(new Date(Date.now() + week))).status).toBe(400);
    crm.advanceTime(week);
    const moved = await login(new Date(Date.now() + week));
    expect(moved.status).toBe(200);
    const issuedAt = Number(((await moved.json()) as { issued_at: string }).issued_at);
    expect(issuedAt).toBeGreaterThanOrEqual(Date.now() + week - 60_000);
    expect(() => crm.advanceTime(-1)).toThrow(/forward/);
  });
});
