import { describe, expect, it } from 'vitest';
import {
  anonymousFirstName,
  consumerKey,
  decideMerge,
  decideUndo,
  newAnonymousConsumer,
  settled,
  targetOf,
  withLateTicket,
  withTicketMade,
  withTicketToMake,
  MAX_TICKETS_PER_CONSUMER,
  type AnonymousConsumer,
  type Login,
} from '../../functions/src/domain/consumers/anonymous.js';
import { AppError } from '../../functions/src/domain/errors.js';
import { SessionEvent } from '../../functions/src/domain/sessions/events.js';

const at = (iso: string) => new Date(iso);

describe('the name of an anonymous contact (UNA-2, UNA-3)', () => {
  it('when a web visitor writes, then the name is "Web User - MM/DD HH:mm" on the support center clock', () => {
    expect(anonymousFirstName('web_visitor', at('2026-10-05T14:15:00Z'), 'America/New_York')).toBe(
      'Web User - 10/05 10:15',
    );
    expect(anonymousFirstName('mobile_sdk', at('2026-10-05T14:15:00Z'), 'Europe/Paris')).toBe(
      'Mobile User - 10/05 16:15',
    );
  });

  it('when the clocks go forward, then the minute before and the minute after read as the zone shows them', () => {
    // New York, 8 March 2026: 01:59 EST is followed by 03:00 EDT.
    expect(anonymousFirstName('web_visitor', at('2026-03-08T06:59:00Z'), 'America/New_York')).toBe(
      'Web User - 03/08 01:59',
    );
    expect(anonymousFirstName('web_visitor', at('2026-03-08T07:00:00Z'), 'America/New_York')).toBe(
      'Web User - 03/08 03:00',
    );
  });

  it('when the clocks go back, then both 01:30s read 01:30, and the date follows the zone, not UTC', () => {
    expect(anonymousFirstName('mobile_sdk', at('2026-11-01T05:30:00Z'), 'America/New_York')).toBe(
      'Mobile User - 11/01 01:30',
    );
    expect(anonymousFirstName('mobile_sdk', at('2026-11-01T06:30:00Z'), 'America/New_York')).toBe(
      'Mobile User - 11/01 01:30',
    );
    // 02:30 UTC on 1 November is still 31 October in New York.
    expect(anonymousFirstName('web_visitor', at('2026-11-01T02:30:00Z'), 'America/New_York')).toBe(
      'Web User - 10/31 22:30',
    );
  });
});

describe('session events', () => {
  const created = {
    schemaVersion: 1,
    eventId: 'e1',
    sessionId: 's1',
    sequence: 1,
    occurredAt: '2026-10-05T10:15:00Z',
    type: 'session.created',
    kind: 'chat',
    channel: 'web',
    queue: { id: 'q1', menuPath: ['Billing'] },
    language: 'en',
  };

  it('when an event has no temporary id, then it is valid as before', () => {
    expect(SessionEvent.safeParse({ ...created, consumer: { id: 'c1', anonymous: true } }).success).toBe(
      true,
    );
  });

  it('when a known consumer carries a temporary id, then the event is still taken', () => {
    const parsed = SessionEvent.safeParse({
      ...created,
      consumer: { id: 'c1', anonymous: false, temporaryId: { source: 'web_visitor', id: 'v1' } },
    });
    expect(parsed.success).toBe(true);
  });
});

const WEB = { source: 'web_visitor' as const, id: 'visitor-1' };
const NOW = at('2026-10-05T10:15:00Z');
const login = (consumerId = 'known-1', contactId = '003000000000900AAA'): Login => ({
  consumerId,
  contactId,
  temporaryId: WEB,
});

function withTickets(n: number): AnonymousConsumer {
  let consumer = newAnonymousConsumer(WEB);
  for (let i = 0; i < n; i++) {
    consumer = withTicketToMake(consumer, `s${i}`, NOW)!;
    consumer = withTicketMade(consumer, `s${i}`, {
      contactId: '003000000000001AAA',
      caseId: `50000000000000${i}AAA`,
    });
  }
  return consumer;
}

describe('merging an anonymous consumer (UNA-4)', () => {
  it('when the consumer logs in, then every acknowledged ticket moves, remembering where it was', () => {
    const decision = decideMerge(withTickets(2), login(), undefined, NOW, 'm1');
    expect(decision.do).toBe('merge');
    if (decision.do !== 'merge') return;
    expect(decision.consumer.merge).toEqual({
      mergeId: 'm1',
      consumerId: 'known-1',
      contactId: '003000000000900AAA',
    });
    expect(targetOf(decision.merge)).toEqual([
      { caseId: '500000000000000AAA', contactId: '003000000000900AAA' },
      { caseId: '500000000000001AAA', contactId: '003000000000900AAA' },
    ]);
    const undone = decideUndo(decision.merge, 'admin-1', NOW);
    expect(undone.do).toBe('undo');
    if (undone.do === 'undo')
      expect(targetOf(undone.merge).map((m) => m.contactId)).toEqual([
        '003000000000001AAA',
        '003000000000001AAA',
      ]);
  });

  it('when the same identity logs in again, then nothing changes', () => {
    const first = decideMerge(withTickets(1), login(), undefined, NOW, 'm1');
    if (first.do !== 'merge') throw new Error('expected a merge');
    expect(decideMerge(first.consumer, login(), first.merge, NOW, 'm2')).toEqual({
      do: 'nothing',
      mergeId: 'm1',
    });
  });

  it('when another known identity logs in with the same temporary id, then it is a 409 and nothing changes', () => {
    const first = decideMerge(withTickets(1), login(), undefined, NOW, 'm1');
    if (first.do !== 'merge') throw new Error('expected a merge');
    const refused: unknown = (() => {
      try {
        decideMerge(first.consumer, login('known-2', '003000000000901AAA'), first.merge, NOW, 'm2');
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).status).toBe(409);
  });

  it("when the logged-in contact is the anonymous consumer's own, then it is refused", () => {
    expect(() =>
      decideMerge(withTickets(1), login('known-1', '003000000000001AAA'), undefined, NOW, 'm1'),
    ).toThrow(AppError);
  });

  it('when a ticket is acknowledged after the merge, then it joins the merge as a new version', () => {
    const first = decideMerge(withTickets(1), login(), undefined, NOW, 'm1');
    if (first.do !== 'merge') throw new Error('expected a merge');
    const applied = settled(first.merge, 1)!;
    const late = withLateTicket(applied, {
      sessionId: 's9',
      caseId: '500000000000009AAA',
      fromContactId: '003000000000001AAA',
    })!;
    expect([late.status, late.version, late.moves.length]).toEqual(['applying', 2, 2]);
    // What the CRM was brought to for version 1 does not settle version 2.
    expect(settled(late, 1)).toBeUndefined();
  });

  it('when a consumer has as many tickets as a merge can move, then no more are made', () => {
    const full = withTickets(MAX_TICKETS_PER_CONSUMER);
    expect(withTicketToMake(full, 'one-more', NOW)).toBeUndefined();
    expect(consumerKey(WEB)).toBe('web_visitor:visitor-1');
  });
});
