import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../functions/src/domain/sessions/events.js';
import {
  announceAssignment,
  applyEvent,
  emptySession,
  MAX_ANNOUNCED_ASSIGNMENTS_KEPT,
  metricsAt,
  settleSms,
  type AnnouncedAssignment,
  type Session,
} from '../../functions/src/domain/sessions/session.js';

const at = (minute: number) => new Date(Date.UTC(2026, 11, 3, 9, minute)).toISOString();

const waitingCall = (): Session =>
  [
    {
      type: 'session.created',
      kind: 'call',
      channel: 'mobile',
      language: 'en',
      queue: { id: 'q-billing', menuPath: ['Billing'] },
      consumer: { id: 'c-1', anonymous: false },
    },
    { type: 'session.assigned', agent: { id: 'a-1' } },
  ].reduce(
    (s, fields, sequence) =>
      applyEvent(s, {
        schemaVersion: 1,
        eventId: `e-${sequence}`,
        sessionId: 'S',
        sequence,
        occurredAt: at(sequence * 2),
        ...fields,
      } as SessionEvent),
    emptySession('S'),
  );

const announced = (assignmentId: string, addsToWaitMs: number): AnnouncedAssignment => ({
  assignmentId,
  agentId: 'a-1',
  addsToWaitMs,
  sms: 'owed',
});

describe('the wait announced to agents in call metrics (NOT-1, MON-4)', () => {
  it('when a plan is announced for an assignment, then the call’s queue wait includes its whisper and countdown, once however often it is asked', () => {
    const call = waitingCall();
    expect(metricsAt(call, new Date(at(10))).queueWaitMs).toBe(120_000);
    const first = announceAssignment(call, announced('as-1', 5_600));
    expect(first.first).toBe(true);
    expect(metricsAt(first.session, new Date(at(10))).queueWaitMs).toBe(125_600);
    const again = announceAssignment(first.session, announced('as-1', 9_999));
    expect(again).toEqual({ session: first.session, assignment: announced('as-1', 5_600), first: false });
    // A second assignment (after a transfer back to a queue) adds its own.
    const second = announceAssignment(first.session, announced('as-2', 4_000));
    expect(metricsAt(second.session, new Date(at(10))).queueWaitMs).toBe(129_600);
  });

  it('when more assignments are announced than are kept, then the wait still counts every one of them', () => {
    let session = waitingCall();
    for (let i = 0; i < MAX_ANNOUNCED_ASSIGNMENTS_KEPT + 5; i++)
      session = announceAssignment(session, announced(`as-${i}`, 1_000)).session;
    expect(session.notifications.assignments).toHaveLength(MAX_ANNOUNCED_ASSIGNMENTS_KEPT);
    expect(session.notifications.assignments[0]!.assignmentId).toBe('as-5');
    expect(session.notifications.announcedWaitMs).toBe((MAX_ANNOUNCED_ASSIGNMENTS_KEPT + 5) * 1_000);
  });

  it('when the SMS owed for an assignment is handed over, then it is marked sent once; an assignment that owed none is left alone', () => {
    const { session } = announceAssignment(waitingCall(), announced('as-1', 0));
    const sent = settleSms(session, 'as-1', 'sent')!;
    expect(sent.notifications.assignments[0]!.sms).toBe('sent');
    expect(settleSms(sent, 'as-1', 'no_phone')).toBeUndefined();
    expect(settleSms(session, 'as-unknown', 'sent')).toBeUndefined();
    const none = announceAssignment(waitingCall(), { ...announced('as-2', 0), sms: 'no_phone' }).session;
    expect(settleSms(none, 'as-2', 'sent')).toBeUndefined();
  });

  it('when events are applied after the plan, then the announced wait stays', () => {
    const { session } = announceAssignment(waitingCall(), announced('as-1', 5_600));
    const connected = applyEvent(session, {
      schemaVersion: 1,
      eventId: 'e-9',
      sessionId: 'S',
      sequence: 9,
      occurredAt: at(3),
      type: 'session.connected',
    } as SessionEvent);
    expect(connected.notifications).toEqual(session.notifications);
  });
});
