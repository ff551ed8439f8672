import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeListCursor,
  encodeListCursor,
  isDocumentId,
  type ListName,
} from '../../functions/src/domain/supervision/cursors.js';

const lists: ListName[] = ['sessions', 'agents', 'audit'];
const filters = { kind: 'call', state: 'queued', teamId: 'team-a' };
const at = '2026-11-22T05:00:00.000Z';
const base64 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

describe('list cursors', () => {
  it('a cursor reads back as the position it was made from, for its list and filters only', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...lists),
        fc.date({ min: new Date('2000-01-01'), max: new Date('2200-01-01'), noInvalidDate: true }),
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/),
        fc.string({ maxLength: 40 }),
        (list, date, id, search) => {
          const position = { sortKey: list === 'agents' ? 'ada lovelace' : date.toISOString(), id };
          const cursor = encodeListCursor(list, { ...filters, search }, position);
          expect(decodeListCursor(list, { ...filters, search }, cursor)).toEqual(position);
          expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
          for (const other of lists.filter((l) => l !== list))
            expect(decodeListCursor(other, { ...filters, search }, cursor)).toBeUndefined();
          expect(decodeListCursor(list, { ...filters, search: `${search}x` }, cursor)).toBeUndefined();
          expect(decodeListCursor(list, { ...filters, search, teamId: 'team-b' }, cursor)).toBeUndefined();
        },
      ),
    );
  });

  it('filters are compared by value, whatever their order, and an absent filter is no filter', () => {
    const cursor = encodeListCursor(
      'sessions',
      { kind: 'call', state: 'queued' },
      { sortKey: at, id: 'S-1' },
    );
    expect(
      decodeListCursor('sessions', { state: 'queued', kind: 'call', search: undefined }, cursor),
    ).toEqual({ sortKey: at, id: 'S-1' });
  });

  it('when the text is random, then it is refused', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.base64String()), (text) => {
        expect(decodeListCursor('sessions', filters, text)).toBeUndefined();
      }),
    );
  });

  it('when the text is valid base64 of any other JSON, then it is refused', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(decodeListCursor('audit', {}, base64(value))).toBeUndefined();
      }),
    );
  });

  it('when the shape is right but a value could not be a position, then it is refused', () => {
    const valid = encodeListCursor('audit', {}, { sortKey: at, id: 'a' });
    const [version, list, print] = JSON.parse(Buffer.from(valid, 'base64url').toString()) as unknown[];
    const forged = (sortKey: unknown, id: unknown, v = version) =>
      decodeListCursor('audit', {}, base64([v, list, print, sortKey, id]));
    expect(forged(at, 'a')).toEqual({ sortKey: at, id: 'a' });
    for (const [sortKey, id] of [
      [at, 'a/b'],
      [at, ''],
      [at, '.'],
      [at, '..'],
      [at, '__name__'],
      [at, 'x'.repeat(1501)],
      [at, '\ud800'],
      [at, 42],
      [at, null],
      [at, ['a']],
      ['yesterday', 'a'],
      ['2026-13-45T99:99:99Z', 'a'],
      [0, 'a'],
      [{ at }, 'a'],
    ])
      expect(forged(sortKey, id), JSON.stringify([sortKey, id])).toBeUndefined();
    expect(forged(at, 'a', 2)).toBeUndefined();
    expect(decodeListCursor('audit', {}, `${valid}=`)).toBeUndefined();
    expect(decodeListCursor('audit', {}, 'A'.repeat(8001))).toBeUndefined();
  });

  it('a document id is what Firestore accepts as one', () => {
    expect(['S-1', 'a b', 'é', 'x'.repeat(1500), '_a_'].every(isDocumentId)).toBe(true);
    expect(['', 'a/b', '.', '..', '__x__', 'é'.repeat(751)].some(isDocumentId)).toBe(false);
  });
});
