import { afterAll, describe, expect, it } from 'vitest';
import { FirestoreMediaRecords } from '../../functions/src/adapters/firestore/smart-action-media.js';
import { judgeUpload } from '../../functions/src/domain/smart-actions/media.js';
import type { MediaRecord } from '../../functions/src/ports/smart-action-media.js';
import { testFirestore, testProjectId } from '../support/projects.js';

/** Media records on the Firestore emulator, through the real client: limits hold under races, verdicts once. */
const projectId = testProjectId('media-records');
const clients = [testFirestore(projectId), testFirestore(projectId)];
const [a, b] = clients.map((db) => new FirestoreMediaRecords(db));

afterAll(() => Promise.all(clients.map((db) => db.terminate())));

let n = 0;
const slot = (sessionId: string, askId: string, over: Partial<MediaRecord> = {}): MediaRecord => {
  const id = (++n).toString(16).padStart(24, '0');
  return {
    id,
    sessionId,
    requestId: 'req-1',
    purpose: 'photos',
    slot: n,
    object: `media/${sessionId}/req-1/${n}-${id}`,
    fileName: null,
    declaredBytes: 100,
    maxFiles: 4,
    askId,
    uploadUrl: `http://uploads.example/${id}`,
    agentId: 'ava',
    issuedAt: new Date(Date.UTC(2026, 11, 3, 10, 0, n)).toISOString(),
    uploadExpiresAt: '2026-12-03T10:30:00.000Z',
    state: 'issued',
    reason: null,
    format: null,
    sizeBytes: null,
    generation: null,
    finalizedAt: null,
    expireAt: new Date('2026-12-10T10:00:00.000Z'),
    ...over,
  };
};

describe('media records', () => {
  it('when two asks of three photos race for a request of four, then exactly one gets its URLs', async () => {
    const outcomes = await Promise.all([
      a!.issue(
        's-race',
        'req-1',
        [1, 2, 3].map(() => slot('s-race', 'ask-a')),
        4,
      ),
      b!.issue(
        's-race',
        'req-1',
        [1, 2, 3].map(() => slot('s-race', 'ask-b')),
        4,
      ),
    ]);
    expect(outcomes.filter((o) => o.issued)).toHaveLength(1);
    expect(outcomes.find((o) => !o.issued)).toEqual({ issued: false, alreadyIssued: 3 });
    expect(await a!.issuedCount('s-race', 'req-1')).toBe(3);
  });

  it('when the same ask comes again, then the slots first issued are the answer and nothing is added', async () => {
    const first = await a!.issue('s-again', 'req-1', [slot('s-again', 'ask-1')], 4);
    const again = await b!.issue('s-again', 'req-1', [slot('s-again', 'ask-1')], 4);
    expect(again).toEqual(first);
    expect(await a!.issuedCount('s-again', 'req-1')).toBe(1);
    expect(await a!.ofAsk('s-again', 'ask-1')).toEqual(first.issued ? first.records : []);
  });

  it('when a finalize is judged twice at once, then one verdict is recorded and both read it back', async () => {
    const record = slot('s-judge', 'ask-1');
    await a!.issue('s-judge', 'req-1', [record], 4);
    let judged = 0;
    const settle = (store: FirestoreMediaRecords) =>
      store.settle(
        's-judge',
        record.id,
        () => {
          judged++;
          return { accepted: true, format: 'png' };
        },
        { object: record.object, sizeBytes: 100, generation: '7', at: new Date('2026-12-03T10:01:00Z') },
      );
    const [one, two] = await Promise.all([settle(a!), settle(b!)]);
    expect(one).toEqual(two);
    expect(one).toMatchObject({ state: 'accepted', format: 'png', generation: '7', sizeBytes: 100 });
    expect(judged).toBeGreaterThanOrEqual(1);
    const [listed] = (await a!.list('s-judge', 10))!;
    expect(listed).toEqual(one);
  });

  it('when an object is not the one a record was issued for, then nothing is settled', async () => {
    const record = slot('s-other', 'ask-1');
    await a!.issue('s-other', 'req-1', [record], 4);
    const settled = await a!.settle('s-other', record.id, () => ({ accepted: true, format: 'png' }), {
      object: `media/s-other/req-1/9-${record.id}`,
      sizeBytes: 100,
      generation: '1',
      at: new Date(),
    });
    expect(settled).toBeUndefined();
    expect((await a!.list('s-other', 10))![0]!.state).toBe('issued');
  });

  it('when a fifth photo is finalized at the same time as the fourth, then at most four are accepted', async () => {
    // Five slots (an issue refuses a fifth; here they are written directly to race the count).
    const records = [1, 2, 3, 4, 5].map(() => slot('s-fifth', 'ask-1'));
    await a!.issue('s-fifth', 'req-1', records, 5);
    const verdicts = await Promise.all(
      records.map((record, index) =>
        (index % 2 === 0 ? a! : b!).settle(
          's-fifth',
          record.id,
          (issued, acceptedBefore) =>
            judgeUpload({
              purpose: 'photos',
              head: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
              sizeBytes: 100,
              declaredBytes: issued.declaredBytes,
              acceptedBefore,
              maxFiles: issued.maxFiles,
              uploadExpiresAt: new Date(issued.uploadExpiresAt),
              finalizedAt: new Date('2026-12-03T10:05:00Z'),
            }),
          { object: record.object, sizeBytes: 100, generation: '1', at: new Date('2026-12-03T10:05:00Z') },
        ),
      ),
    );
    expect(verdicts.filter((v) => v?.state === 'accepted')).toHaveLength(4);
    expect(verdicts.filter((v) => v?.state === 'refused').map((v) => v!.reason)).toEqual(['too_many_files']);
    const stored = (await a!.list('s-fifth', 10))!;
    expect(stored.filter((r) => r.state === 'accepted')).toHaveLength(4);
  });

  it('when a session has more files than a page, then the pages follow each other without a gap or a repeat', async () => {
    // Five files of one ask share their issue time; two more come later.
    const issuedAt = '2026-12-03T11:00:00.000Z';
    const records = [
      ...[1, 2, 3, 4, 5].map(() => slot('s-pages', 'ask-1', { issuedAt })),
      ...[1, 2].map(() => slot('s-pages', 'ask-2')),
    ];
    await a!.issue('s-pages', 'req-1', records, 10);
    const pages: string[][] = [];
    let after: string | undefined;
    for (let pageNumber = 0; pageNumber < 5; pageNumber++) {
      const page = (await b!.list('s-pages', 3, after))!;
      if (page.length === 0) break;
      pages.push(page.map((record) => record.id));
      after = page.at(-1)!.id;
    }
    expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
    expect(pages.flat().sort()).toEqual(records.map((record) => record.id).sort());
    expect(await a!.list('s-pages', 3, 'f'.repeat(24))).toBeUndefined();
  });
});
