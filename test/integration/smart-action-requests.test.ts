import { afterAll, describe, expect, it } from 'vitest';
import { FirestoreSmartActionRequests } from '../../functions/src/adapters/firestore/smart-actions.js';
import {
  newRequest,
  REQUEST_TTL_MS,
  type SmartAction,
  type SmartActionRequest,
} from '../../functions/src/domain/smart-actions/actions.js';
import { testFirestore, testProjectId } from '../support/projects.js';

/** The smart-action requests store on the Firestore emulator, through the real client library. */
const projectId = testProjectId('smart-actions');
const instances = [0, 1, 2].map(() => testFirestore(projectId));
const db = instances[0]!;
const stores = instances.map((client) => new FirestoreSmartActionRequests(client));
const store = stores[0]!;

afterAll(() => Promise.all(instances.map((client) => client.terminate())));

const t0 = new Date(Date.UTC(2026, 11, 3, 10, 0, 0));
const after = (ms: number) => new Date(t0.getTime() + ms);

const ask = (
  sessionId: string,
  action: SmartAction,
  id: string,
  over: { kind?: 'call' | 'chat'; now?: Date } = {},
): SmartActionRequest =>
  newRequest({
    id,
    sessionId,
    kind: over.kind ?? 'call',
    action,
    agentId: 'agent-1',
    clientRequestId: `client-${id}`,
    now: over.now ?? t0,
  });

const createOne = (request: SmartActionRequest) =>
  store.create(request.sessionId, (existing) => {
    const same = existing.find((r) => r.clientRequestId === request.clientRequestId);
    return same ? { existing: same } : { create: request };
  });

describe('smart-action requests on the Firestore emulator', () => {
  it('when a request is created, then it reads back exactly as it was made, by id and in the list, under the session', async () => {
    const photos = ask('S-round', 'photos', 'r-1');
    const text = ask('S-round', 'text_input', 'r-2', { now: after(1000) });
    expect(await createOne(text)).toEqual({ request: text, created: true });
    expect(await createOne(photos)).toEqual({ request: photos, created: true });
    expect(await store.get('S-round', 'r-1')).toEqual(photos);
    expect(await store.list('S-round')).toEqual([photos, text]);
    expect((await db.doc('sessions/S-round/smartActions/r-1').get()).exists).toBe(true);
    // The session's own document, which folding rewrites, is not where it lives.
    expect((await db.doc('sessions/S-round').get()).exists).toBe(false);
    expect(await store.get('S-round', 'nope')).toBeUndefined();
  });

  it('when the same ask is made again, then the first request is answered and nothing new is stored', async () => {
    const first = ask('S-retry', 'video', 'r-1');
    await createOne(first);
    const again = await createOne({
      ...ask('S-retry', 'video', 'r-other'),
      clientRequestId: first.clientRequestId,
    });
    expect(again).toEqual({ request: first, created: false });
    expect(await store.list('S-retry')).toHaveLength(1);
  });

  it('when asking is refused, then nothing is written', async () => {
    await expect(
      store.create('S-refused', () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await store.list('S-refused')).toEqual([]);
  });

  it('when two redactions are asked at once on three instances, then the decision sees the other: exactly one is made', async () => {
    const results = await Promise.allSettled(
      stores.map((s, i) =>
        s.create('S-race', (existing) => {
          if (existing.some((r) => r.action === 'redact' && r.state === 'requested'))
            throw new Error('already');
          return { create: ask('S-race', 'redact', `r-${i}`) };
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await store.list('S-race')).toHaveLength(1);
  });

  it('when a request is settled, then it reads back settled; a second settle changes nothing and says so', async () => {
    await createOne(ask('S-settle', 'text_input', 'r-1'));
    const first = await store.settle(
      'S-settle',
      'r-1',
      { state: 'answered', result: { type: 'text', text: 'Ø 12 rue de la Paix' } },
      after(2000),
    );
    expect(first).toMatchObject({ changed: true, request: { state: 'answered' } });
    const stored = await store.get('S-settle', 'r-1');
    expect(stored).toEqual(first!.request);
    expect(stored?.result).toEqual({ type: 'text', text: 'Ø 12 rue de la Paix' });
    const before = (await db.doc('sessions/S-settle/smartActions/r-1').get()).updateTime!;
    const second = await store.settle('S-settle', 'r-1', { state: 'declined' }, after(3000));
    expect(second).toEqual({ changed: false, request: stored, reason: 'already_settled' });
    const afterSecond = (await db.doc('sessions/S-settle/smartActions/r-1').get()).updateTime!;
    expect(afterSecond.isEqual(before)).toBe(true);
    expect(await store.settle('S-settle', 'nope', { state: 'declined' }, after(3000))).toBeUndefined();
  });

  it('when a result arrives after the expiry, then nothing is written and it says expired', async () => {
    await createOne(ask('S-late', 'verify_identity', 'r-1'));
    const late = await store.settle(
      'S-late',
      'r-1',
      { state: 'answered', result: { type: 'identity', outcome: 'verified', sequence: 7 } },
      after(REQUEST_TTL_MS),
    );
    expect(late).toMatchObject({ changed: false, reason: 'expired' });
    expect((await store.get('S-late', 'r-1'))?.state).toBe('requested');
  });

  it('when different results race on three instances, then exactly one settles the request and it is the one stored', async () => {
    await createOne(ask('S-concurrent', 'verify_identity', 'r-1'));
    const outcomes = [
      { state: 'answered', result: { type: 'identity', outcome: 'verified', sequence: 7 } },
      { state: 'answered', result: { type: 'identity', outcome: 'failed', sequence: 7 } },
      { state: 'declined' },
    ] as const;
    const settled = await Promise.all(
      stores.map((s, i) => s.settle('S-concurrent', 'r-1', outcomes[i]!, after(1000 + i), ['verified_flag'])),
    );
    const winners = settled.filter((s) => s?.changed);
    expect(winners).toHaveLength(1);
    expect(settled.filter((s) => !s?.changed).map((s) => s && !s.changed && s.reason)).toEqual([
      'already_settled',
      'already_settled',
    ]);
    expect(await store.get('S-concurrent', 'r-1')).toEqual(winners[0]!.request);
  });

  it('when effects are done, then they are no longer owed; doing them again writes nothing', async () => {
    await createOne(ask('S-owed', 'redact', 'r-1'));
    expect((await store.get('S-owed', 'r-1'))?.owed).toEqual(['platform_request']);
    await store.effectsDone('S-owed', 'r-1', ['platform_request']);
    expect((await store.get('S-owed', 'r-1'))?.owed).toEqual([]);
    const before = (await db.doc('sessions/S-owed/smartActions/r-1').get()).updateTime!;
    await store.effectsDone('S-owed', 'r-1', ['platform_request']);
    expect((await db.doc('sessions/S-owed/smartActions/r-1').get()).updateTime!.isEqual(before)).toBe(true);
  });

  it("when a chat's request is made and settled, then the agent's desk holds a copy that follows it, without the server's bookkeeping", async () => {
    const photos = ask('S-chat', 'photos', 'r-1', { kind: 'chat' });
    await createOne(photos);
    const copy = db.doc('agentDesks/agent-1/chats/S-chat/smartActions/r-1');
    const { owed: _owed, clientRequestId: _client, ...shown } = photos;
    expect((await copy.get()).data()).toEqual(shown);
    await store.settle('S-chat', 'r-1', { state: 'declined' }, after(1000));
    expect((await copy.get()).data()).toMatchObject({
      state: 'declined',
      settledAt: after(1000).toISOString(),
    });
    // A call's requests are read where they are: no copy is made.
    await createOne(ask('S-call', 'photos', 'r-1'));
    expect((await db.doc('agentDesks/agent-1/chats/S-call/smartActions/r-1').get()).exists).toBe(false);
  });
});
