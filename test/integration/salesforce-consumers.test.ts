import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SalesforceConsumerCrm } from '../../functions/src/adapters/salesforce/salesforce-consumers.js';
import { SalesforceCrm } from '../../functions/src/adapters/salesforce/salesforce-crm.js';
import { systemClock } from '../../functions/src/ports/clock.js';
import type { AnonymousTicketRequest } from '../../functions/src/ports/consumer-crm.js';
import { CrmError } from '../../functions/src/ports/crm.js';
import { startSalesforceServer, type SalesforceServer } from '../../local-servers/salesforce.js';

/**
 * Anonymous consumers' tickets through the real jsforce against the local Salesforce-compatible
 * server: one request per ticket, no duplicate after a lost acknowledgement, cases moved all or none.
 */
const CLIENT_ID = '3MVG9-switchboard-consumers-key';
const USERNAME = 'consumers@switchboard.example';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

let server: SalesforceServer;
let crm: SalesforceConsumerCrm;
let seq = 0;

beforeAll(async () => {
  server = await startSalesforceServer({
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    clientId: CLIENT_ID,
    username: USERNAME,
  });
  const api = new SalesforceCrm(
    {
      loginUrl: server.url,
      clientId: CLIENT_ID,
      username: USERNAME,
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      apiVersion: '62.0',
      requestTimeoutMs: 2_000,
    },
    systemClock,
  );
  crm = new SalesforceConsumerCrm(api, '62.0');
});
afterAll(() => server.close());
beforeEach(() => server.clearFaults());

const apiCalls = () => server.requests().filter((r) => r.path.startsWith('/services/data/')).length;

function ticket(overrides: Partial<AnonymousTicketRequest> = {}): AnonymousTicketRequest {
  seq += 1;
  return {
    consumerKey: `web_visitor:visitor-${seq}`,
    firstName: 'Web User - 10/05 10:15',
    sessionId: `session-${seq}`,
    origin: 'Web',
    contactId: null,
    ...overrides,
  };
}

/** A first call, so that the login is not counted with the calls under test. */
async function warmUp() {
  await crm.createAnonymousTicket(ticket());
}

describe('an anonymous ticket', () => {
  it('when a consumer is new, then its contact and case are made in one API request', async () => {
    await warmUp();
    const before = apiCalls();
    const t = ticket();
    const made = await crm.createAnonymousTicket(t);
    expect(apiCalls() - before).toBe(1);
    const contact = server.contacts().find((c) => c.Id === made.contactId)!;
    expect(contact).toMatchObject({
      FirstName: 'Web User - 10/05 10:15',
      LastName: 'Anonymous',
      Switchboard_Consumer_Key__c: t.consumerKey,
    });
    expect(server.cases().find((c) => c.Id === made.caseId)).toMatchObject({
      ContactId: made.contactId,
      Switchboard_Session_Key__c: t.sessionId,
      Origin: 'Web',
    });
  });

  it('when the consumer already has a contact, then only the case is made, in one request', async () => {
    const first = await crm.createAnonymousTicket(ticket());
    const before = apiCalls();
    const second = await crm.createAnonymousTicket(ticket({ contactId: first.contactId }));
    expect(apiCalls() - before).toBe(1);
    expect(second.contactId).toBe(first.contactId);
    expect(second.caseId).not.toBe(first.caseId);
  });

  it('when the answer is lost after the CRM made the ticket, then a retry finds it and makes nothing twice', async () => {
    const t = ticket();
    server.failNext(1, { type: 'dropAfterStore' }, 'write');
    const lost = await crm.createAnonymousTicket(t).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(CrmError);
    expect((lost as CrmError).kind).toBe('not_acknowledged');
    const made = await crm.createAnonymousTicket(t);
    expect(server.contacts().filter((c) => c.Switchboard_Consumer_Key__c === t.consumerKey)).toHaveLength(1);
    const cases = server.cases().filter((c) => c.Switchboard_Session_Key__c === t.sessionId);
    expect(cases.map((c) => [c.Id, c.ContactId])).toEqual([[made.caseId, made.contactId]]);
  });

  it('when the org is out of API requests or down, then the failure is a retryable one of REC-2', async () => {
    server.failNext(1, { type: 'limit' }, 'write');
    const limit = (await crm.createAnonymousTicket(ticket()).catch((e: unknown) => e)) as CrmError;
    expect(limit.kind).toBe('limit_reached');
    expect(limit.retryAfterSeconds).toBeGreaterThan(0);
    server.failNext(1, { type: 'html503' }, 'write');
    const down = (await crm.createAnonymousTicket(ticket()).catch((e: unknown) => e)) as CrmError;
    expect(down.kind).toBe('not_acknowledged');
    expect(down.retryable).toBe(true);
  });

  it('when the session expired, then the ticket is made once after a refresh', async () => {
    server.failNext(1, { type: 'expired' }, 'write');
    const t = ticket();
    await crm.createAnonymousTicket(t);
    expect(server.cases().filter((c) => c.Switchboard_Session_Key__c === t.sessionId)).toHaveLength(1);
  });

  it('when a reinstalled app brings a new SDK id, then it is a new contact (UNA-5)', async () => {
    const before = await crm.createAnonymousTicket(
      ticket({ consumerKey: 'mobile_sdk:sdk-a', origin: 'Mobile' }),
    );
    const after = await crm.createAnonymousTicket(
      ticket({ consumerKey: 'mobile_sdk:sdk-b', origin: 'Mobile' }),
    );
    expect(after.contactId).not.toBe(before.contactId);
  });
});

describe('moving cases', () => {
  it('when cases move, then one request moves them all, and moving again changes nothing', async () => {
    const a = await crm.createAnonymousTicket(ticket());
    const b = await crm.createAnonymousTicket(ticket({ contactId: a.contactId }));
    const known = await crm.createAnonymousTicket(ticket());
    const moves = [a, b].map((t) => ({ caseId: t.caseId, contactId: known.contactId }));
    const before = apiCalls();
    await crm.moveCases(moves);
    expect(apiCalls() - before).toBe(1);
    await crm.moveCases(moves);
    const contacts = server
      .cases()
      .filter((c) => c.Id === a.caseId || c.Id === b.caseId)
      .map((c) => c.ContactId);
    expect(contacts).toEqual([known.contactId, known.contactId]);
  });

  it('when one case of a move was deleted, then none moves and the failure is permanent', async () => {
    const a = await crm.createAnonymousTicket(ticket());
    const b = await crm.createAnonymousTicket(ticket({ contactId: a.contactId }));
    const known = await crm.createAnonymousTicket(ticket());
    server.deleteRecord(b.caseId);
    const error = (await crm
      .moveCases([a, b].map((t) => ({ caseId: t.caseId, contactId: known.contactId })))
      .catch((e: unknown) => e)) as CrmError;
    expect([error.kind, error.reason]).toEqual(['permanent', 'entity_is_deleted']);
    expect(server.cases().find((c) => c.Id === a.caseId)!.ContactId).toBe(a.contactId);
  });
});
