import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FirestoreConsumerStore } from '../../functions/src/adapters/firestore/consumers.js';
import { FirestoreAuditLog } from '../../functions/src/adapters/firestore/supervision.js';
import { SalesforceConsumerCrm } from '../../functions/src/adapters/salesforce/salesforce-consumers.js';
import { SalesforceCrm } from '../../functions/src/adapters/salesforce/salesforce-crm.js';
import {
  noteAnonymousSession,
  recordLogin,
  runMergeTask,
  runTicketTask,
  undoMerge,
  type ConsumerDeps,
  type ConsumerWorkerDeps,
} from '../../functions/src/app/consumers/anonymous-consumers.js';
import type { TaskAnswer } from '../../functions/src/app/recordings/deps.js';
import type { Actor, Permission } from '../../functions/src/domain/access/permissions.js';
import {
  MAX_TICKETS_PER_CONSUMER,
  newAnonymousConsumer,
  withTicketToMake,
} from '../../functions/src/domain/consumers/anonymous.js';
import { AppError } from '../../functions/src/domain/errors.js';
import { SessionEvent, type SessionEventOf } from '../../functions/src/domain/sessions/events.js';
import { configureLogs } from '../../functions/src/log.js';
import { systemClock } from '../../functions/src/ports/clock.js';
import type { ConsumerTasks } from '../../functions/src/ports/consumers.js';
import { startSalesforceServer, type SalesforceServer } from '../../local-servers/salesforce.js';

/**
 * Anonymous consumers end to end below HTTP: the real Firestore emulator, the real Salesforce adapter
 * (jsforce) against the local Salesforce server with its faults, and a queue that runs each task,
 * retrying it when it asks to, as Cloud Tasks does.
 */
const PROJECT = 'demo-switchboard-consumers';
const CLIENT_ID = '3MVG9-switchboard-consumers-app';
const USERNAME = 'consumers-app@switchboard.example';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

let db: Firestore;
let salesforce: SalesforceServer;
let deps: ConsumerDeps;
let worker: ConsumerWorkerDeps;
type Queued =
  | { kind: 'ticket'; task: { consumerKey: string; sessionId: string } }
  | { kind: 'merge'; task: { mergeId: string; version: number } };
let queue: Queued[] = [];
let beforeMove: (() => Promise<void>) | undefined;

const tasks: ConsumerTasks = {
  enqueueTicket: async (task) => void queue.push({ kind: 'ticket', task }),
  enqueueMerge: async (task) => void queue.push({ kind: 'merge', task }),
};

/** Runs what is queued, in order, as the queue would: a task that asks to be retried is run again. */
async function drain(): Promise<TaskAnswer[]> {
  const answers: TaskAnswer[] = [];
  for (let attempts = 0; queue.length > 0 && attempts < 50; attempts++) {
    const next = queue[0]!;
    const answer =
      next.kind === 'ticket' ? await runTicketTask(worker, next.task) : await runMergeTask(worker, next.task);
    answers.push(answer);
    if (answer.outcome === 'done') queue.shift();
  }
  return answers;
}

beforeAll(async () => {
  configureLogs({ sink: () => undefined });
  db = new Firestore({ projectId: PROJECT });
  salesforce = await startSalesforceServer({
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    clientId: CLIENT_ID,
    username: USERNAME,
  });
  const api = new SalesforceCrm(
    {
      loginUrl: salesforce.url,
      clientId: CLIENT_ID,
      username: USERNAME,
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      apiVersion: '62.0',
      requestTimeoutMs: 2_000,
    },
    systemClock,
  );
  const consumers = new FirestoreConsumerStore(db);
  const crm = new SalesforceConsumerCrm(api, '62.0');
  deps = { consumers, tasks, audit: new FirestoreAuditLog(db), clock: systemClock, newId: randomUUID };
  // `beforeMove` lets a test act between a merge task's read of the merge and its CRM write.
  const racingCrm = {
    createAnonymousTicket: (r: Parameters<typeof crm.createAnonymousTicket>[0]) =>
      crm.createAnonymousTicket(r),
    moveCases: async (moves: Parameters<typeof crm.moveCases>[0]) => {
      const hook = beforeMove;
      beforeMove = undefined;
      await hook?.();
      await crm.moveCases(moves);
    },
  };
  worker = { consumers, tasks, crm: () => racingCrm, supportCenterZone: async () => 'America/New_York' };
});
afterAll(async () => {
  await salesforce.close();
  await db.terminate();
});
beforeEach(() => {
  queue = [];
  salesforce.clearFaults();
});

let seq = 0;
const apiCalls = () => salesforce.requests().filter((r) => r.path.startsWith('/services/data/')).length;

function created(
  visitorId: string,
  occurredAt = '2026-03-08T07:00:00Z',
  source: 'web_visitor' | 'mobile_sdk' = 'web_visitor',
) {
  seq += 1;
  return SessionEvent.parse({
    schemaVersion: 1,
    eventId: `e-${seq}`,
    sessionId: `consumer-session-${seq}-${randomUUID()}`,
    sequence: 1,
    occurredAt,
    type: 'session.created',
    kind: 'chat',
    channel: source === 'web_visitor' ? 'web' : 'mobile',
    queue: { id: 'q1', menuPath: ['Billing'] },
    language: 'en',
    consumer: { id: `anon-${visitorId}`, anonymous: true, temporaryId: { source, id: visitorId } },
  }) as SessionEventOf<'session.created'>;
}

const visitor = () => `visitor-${randomUUID()}`;
const admin = (permissions: Permission[]): Actor => ({
  uid: 'admin-1',
  name: 'Admin',
  teamIds: [],
  grants: new Map(permissions.map((p) => [p, 'all' as const])),
  multiFactor: false,
});

/** A logged-in identity: a contact that exists in the CRM. */
async function knownContact(): Promise<string> {
  await noteAnonymousSession(deps, created(visitor()));
  await drain();
  return salesforce.contacts().at(-1)!.Id;
}

async function anonymousWithTickets(n: number) {
  const id = visitor();
  const events = Array.from({ length: n }, () => created(id));
  for (const e of events) await noteAnonymousSession(deps, e);
  await drain();
  const contact = salesforce.contacts().find((c) => c.Switchboard_Consumer_Key__c === `web_visitor:${id}`)!;
  const sessionIds = new Set(events.map((e) => e.sessionId));
  const cases = salesforce.cases().filter((c) => sessionIds.has(c.Switchboard_Session_Key__c!));
  return { id, contact, cases, events };
}

const ownerOf = (caseIds: string[]) =>
  salesforce
    .cases()
    .filter((c) => caseIds.includes(c.Id))
    .map((c) => c.ContactId);

describe('anonymous tickets (UNA-1, UNA-2, UNA-3, UNA-5)', () => {
  it('when an anonymous session starts, then one CRM request makes the contact, named on the support center clock, and its case', async () => {
    const event = created(visitor(), '2026-03-08T07:00:00Z');
    await noteAnonymousSession(deps, event);
    // A first request, not counted: the login.
    await drain();
    const again = created(visitor(), '2026-03-08T06:59:00Z', 'mobile_sdk');
    await noteAnonymousSession(deps, again);
    const before = apiCalls();
    await drain();
    expect(apiCalls() - before).toBe(1);
    const names = salesforce
      .contacts()
      .filter((c) =>
        [event, again].some(
          (e) =>
            c.Switchboard_Consumer_Key__c ===
            `${e.consumer.temporaryId!.source}:${e.consumer.temporaryId!.id}`,
        ),
      )
      .map((c) => c.FirstName);
    // New York's clocks went from 01:59 EST to 03:00 EDT that night.
    expect(names).toEqual(['Web User - 03/08 03:00', 'Mobile User - 03/08 01:59']);
  });

  it('when the event is delivered again, then nothing more is made and no CRM request is sent', async () => {
    const event = created(visitor());
    await noteAnonymousSession(deps, event);
    await drain();
    const before = { calls: apiCalls(), cases: salesforce.cases().length };
    await noteAnonymousSession(deps, event);
    expect(queue).toEqual([]);
    await drain();
    expect({ calls: apiCalls(), cases: salesforce.cases().length }).toEqual(before);
  });

  it('when the CRM is out of requests, then the task is retried and the ticket is made once', async () => {
    const event = created(visitor());
    await noteAnonymousSession(deps, event);
    salesforce.failNext(1, { type: 'limit' }, 'write');
    const answers = await drain();
    expect(answers[0]).toMatchObject({ outcome: 'retry', slowDown: true, reason: 'request_limit_exceeded' });
    expect(salesforce.cases().filter((c) => c.Switchboard_Session_Key__c === event.sessionId)).toHaveLength(
      1,
    );
  });

  it('when the CRM made the ticket but its answer was lost, then the retry finds it: one contact, one case', async () => {
    const id = visitor();
    const event = created(id);
    await noteAnonymousSession(deps, event);
    salesforce.failNext(1, { type: 'dropAfterStore' }, 'write');
    const answers = await drain();
    expect(answers.map((a) => a.outcome)).toEqual(['retry', 'done']);
    expect(
      salesforce.contacts().filter((c) => c.Switchboard_Consumer_Key__c === `web_visitor:${id}`),
    ).toHaveLength(1);
    expect(salesforce.cases().filter((c) => c.Switchboard_Session_Key__c === event.sessionId)).toHaveLength(
      1,
    );
  });

  it("when the same visitor comes back, then the new case goes to the visitor's contact; a reinstalled app is a new contact", async () => {
    const { contact, cases } = await anonymousWithTickets(2);
    expect(cases.map((c) => c.ContactId)).toEqual([contact.Id, contact.Id]);
    const sdkBefore = created('sdk-install-1', undefined, 'mobile_sdk');
    const sdkAfter = created('sdk-install-2', undefined, 'mobile_sdk');
    await noteAnonymousSession(deps, sdkBefore);
    await noteAnonymousSession(deps, sdkAfter);
    await drain();
    const [a, b] = [sdkBefore, sdkAfter].map(
      (e) => salesforce.cases().find((c) => c.Switchboard_Session_Key__c === e.sessionId)!.ContactId,
    );
    expect(a).not.toBe(b);
  });
});

describe('a consumer with as many tickets as a merge can move', () => {
  it('when another session starts, then no ticket is asked for and the log says so with the session id alone', async () => {
    const id = visitor();
    const temporaryId = { source: 'web_visitor' as const, id };
    let full = newAnonymousConsumer(temporaryId);
    for (let i = 0; i < MAX_TICKETS_PER_CONSUMER; i++)
      full = withTicketToMake(full, `capped-${i}`, new Date('2026-03-08T07:00:00Z'))!;
    await deps.consumers.inTransaction(async (tx) => tx.putConsumer(full));
    const logged: string[] = [];
    configureLogs({ sink: (line) => logged.push(line) });
    try {
      const event = created(id);
      await noteAnonymousSession(deps, event);
      expect(queue).toEqual([]);
      const capped = logged.filter((line) => line.includes('anonymous_tickets_capped'));
      expect(capped).toHaveLength(1);
      expect(capped[0]).toContain(event.sessionId);
      expect(capped[0]).not.toContain(id);
    } finally {
      configureLogs({ sink: () => undefined });
    }
  });
});

describe('merging (UNA-4)', () => {
  it('when the consumer logs in, then one CRM request moves every earlier ticket, and logging in again changes nothing', async () => {
    const known = await knownContact();
    const { id, cases } = await anonymousWithTickets(3);
    const login = {
      consumerId: 'customer-42',
      contactId: known,
      temporaryId: { source: 'web_visitor' as const, id },
    };
    const merged = await recordLogin(deps, login);
    expect(merged).toMatchObject({ outcome: 'merged', ticketsMoved: 3 });
    const before = apiCalls();
    await drain();
    expect(apiCalls() - before).toBe(1);
    expect(ownerOf(cases.map((c) => c.Id))).toEqual([known, known, known]);
    const audited = async () => (await db.doc(`audit/consumer.merged-${merged.mergeId}`).get()).data();
    const entry = await audited();
    expect(entry).toMatchObject({ action: 'consumer.merged', actorUid: 'platform' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const again = await recordLogin(deps, login);
    expect(again).toEqual({ outcome: 'already_merged', mergeId: merged.mergeId, ticketsMoved: 3 });
    expect(await audited()).toEqual(entry);
    // Applied already: no task to ask for again.
    expect(queue).toEqual([]);
    const after = apiCalls();
    await drain();
    expect(apiCalls()).toBe(after);
  });

  it('when two identities log in at once with the same temporary id, then one wins, the other gets a 409, and the CRM shows one owner', async () => {
    const [first, second] = [await knownContact(), await knownContact()];
    const { id, cases } = await anonymousWithTickets(2);
    const temporaryId = { source: 'web_visitor' as const, id };
    const results = await Promise.allSettled([
      recordLogin(deps, { consumerId: 'customer-a', contactId: first, temporaryId }),
      recordLogin(deps, { consumerId: 'customer-b', contactId: second, temporaryId }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(AppError);
    expect((lost[0]!.reason as AppError).status).toBe(409);
    await drain();
    const owners = new Set(ownerOf(cases.map((c) => c.Id)));
    expect(owners.size).toBe(1);
    expect([first, second]).toContain([...owners][0]);
  });

  it('when the same identity logs in twice at once, then there is one merge', async () => {
    const known = await knownContact();
    const { id } = await anonymousWithTickets(1);
    const login = {
      consumerId: 'customer-c',
      contactId: known,
      temporaryId: { source: 'web_visitor' as const, id },
    };
    const outcomes = await Promise.all([recordLogin(deps, login), recordLogin(deps, login)]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['already_merged', 'merged']);
    expect(new Set(outcomes.map((o) => o.mergeId)).size).toBe(1);
  });

  it('when the CRM fails mid-merge, then the retry completes it, nothing lost or doubled', async () => {
    const known = await knownContact();
    const { id, cases } = await anonymousWithTickets(2);
    await recordLogin(deps, {
      consumerId: 'customer-d',
      contactId: known,
      temporaryId: { source: 'web_visitor', id },
    });
    salesforce.failNext(1, { type: 'html503' }, 'write');
    salesforce.failNext(1, { type: 'dropAfterStore' }, 'write');
    const answers = await drain();
    expect(answers.map((a) => a.outcome)).toEqual(['retry', 'retry', 'done']);
    expect(ownerOf(cases.map((c) => c.Id))).toEqual([known, known]);
    expect(
      salesforce
        .cases()
        .filter((c) => cases.some((k) => k.Switchboard_Session_Key__c === c.Switchboard_Session_Key__c)),
    ).toHaveLength(2);
  });

  it('when an admin undoes a merge, then exactly what moved goes back, in the CRM too, and the id may be merged anew', async () => {
    const known = await knownContact();
    const { id, contact, cases } = await anonymousWithTickets(2);
    const temporaryId = { source: 'web_visitor' as const, id };
    const { mergeId } = await recordLogin(deps, { consumerId: 'customer-e', contactId: known, temporaryId });
    await drain();
    await expect(undoMerge(deps, admin(['Audit-View']), mergeId)).rejects.toMatchObject({ status: 403 });
    const undone = await undoMerge(deps, admin(['Users-Edit']), mergeId);
    expect(undone).toEqual({ outcome: 'undoing', mergeId, ticketsMoved: 2 });
    const before = apiCalls();
    await drain();
    expect(apiCalls() - before).toBe(1);
    expect(ownerOf(cases.map((c) => c.Id))).toEqual([contact.Id, contact.Id]);
    const undoEntry = (await db.doc(`audit/consumer.unmerged-${mergeId}`).get()).data();
    expect(undoEntry).toMatchObject({ action: 'consumer.unmerged', actorUid: 'admin-1' });
    expect(await undoMerge(deps, { ...admin(['Users-Edit']), uid: 'admin-2' }, mergeId)).toMatchObject({
      outcome: 'already_undone',
    });
    expect((await db.doc(`audit/consumer.unmerged-${mergeId}`).get()).data()).toEqual(undoEntry);
    const other = await knownContact();
    await recordLogin(deps, { consumerId: 'customer-f', contactId: other, temporaryId });
    await drain();
    expect(ownerOf(cases.map((c) => c.Id))).toEqual([other, other]);
  });

  it("when the merge's CRM write lands after the undo's, then the tickets still end where the undo put them", async () => {
    const known = await knownContact();
    const { id, contact, cases } = await anonymousWithTickets(1);
    const { mergeId } = await recordLogin(deps, {
      consumerId: 'customer-g',
      contactId: known,
      temporaryId: { source: 'web_visitor', id },
    });
    // The merge's task has read the merge; before its write reaches the CRM, an admin undoes the
    // merge and the undo's task runs to the end.
    beforeMove = async () => {
      await undoMerge(deps, admin(['Users-Edit']), mergeId);
      const undoTask = queue.pop()!;
      expect(undoTask.kind).toBe('merge');
      if (undoTask.kind === 'merge')
        expect(await runMergeTask(worker, undoTask.task)).toEqual({ outcome: 'done' });
    };
    const answers = await drain();
    expect(answers.map((a) => a.outcome)).toEqual(['retry', 'done']);
    expect(ownerOf(cases.map((c) => c.Id))).toEqual([contact.Id]);
  });

  it('when a ticket is acknowledged after the login, then it follows the merge', async () => {
    const known = await knownContact();
    const id = visitor();
    const event = created(id);
    await noteAnonymousSession(deps, event);
    const ticketTask = queue.shift()!;
    await recordLogin(deps, {
      consumerId: 'customer-h',
      contactId: known,
      temporaryId: { source: 'web_visitor', id },
    });
    queue.unshift(ticketTask);
    await drain();
    expect(salesforce.cases().find((c) => c.Switchboard_Session_Key__c === event.sessionId)!.ContactId).toBe(
      known,
    );
  });

  it("when the login arrives before the session's first event, then the merge is recorded with nothing to move and the session's ticket joins it", async () => {
    const known = await knownContact();
    const id = visitor();
    const early = await recordLogin(deps, {
      consumerId: 'customer-i',
      contactId: known,
      temporaryId: { source: 'web_visitor', id },
    });
    expect(early).toMatchObject({ outcome: 'merged', ticketsMoved: 0 });
    await drain();
    const event = created(id);
    await noteAnonymousSession(deps, event);
    await drain();
    expect(salesforce.cases().find((c) => c.Switchboard_Session_Key__c === event.sessionId)!.ContactId).toBe(
      known,
    );
    const merge = (await db.doc(`consumerMerges/${early.mergeId}`).get()).data();
    expect(merge).toMatchObject({ status: 'applied', moves: [{ sessionId: event.sessionId }] });
  });
});
