import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SEQUENCE, SessionEvent, compareEvents } from '../../functions/src/domain/sessions/events.js';
import { fold } from '../../functions/src/domain/sessions/session.js';

const created = {
  schemaVersion: 1,
  eventId: 'e-0',
  sessionId: 'S-1',
  sequence: 0,
  occurredAt: '2026-11-22T10:00:00Z',
  type: 'session.created',
  kind: 'chat',
  channel: 'web',
  queue: { id: 'q-1', menuPath: ['Billing'] },
  language: 'en',
  consumer: { id: 'c-1', name: 'Ada', anonymous: false },
  crm: { system: 'salesforce', recordId: '500xx', url: 'https://acme.my.salesforce.com/500xx' },
};
const recording = {
  ...created,
  type: 'recording.available',
  recording: { id: 'r-1', bucket: 'recordings', object: 'S-1.wav', generation: '1', sizeBytes: 10 },
};
const message = {
  ...created,
  type: 'message.sent',
  message: { id: 'm-1', author: { type: 'consumer' }, text: 'Bonjour,\nmerci 👩🏽‍🚀' },
};

/** The paths zod names for a refused event; empty when it is accepted. */
const refused = (event: unknown) => {
  const result = SessionEvent.safeParse(event);
  return result.success ? [] : [...new Set(result.error.issues.map((i) => i.path.join('.')))];
};

describe('session event bounds', () => {
  it('when every field is at its ordinary value, then the events are accepted', () => {
    expect(refused(created)).toEqual([]);
    expect(refused(recording)).toEqual([]);
    expect(refused(message)).toEqual([]);
  });

  it('when text holds a lone surrogate half or a control character, then the field is named', () => {
    expect(refused({ ...created, consumer: { ...created.consumer, name: 'Ada\uD800' } })).toEqual([
      'consumer.name',
    ]);
    expect(refused({ ...created, consumer: { ...created.consumer, name: 'Ada\u0007' } })).toEqual([
      'consumer.name',
    ]);
    expect(refused({ ...created, queue: { id: 'q-1', menuPath: ['Bil\nling'] } })).toEqual([
      'queue.menuPath.0',
    ]);
    expect(refused({ ...message, message: { ...message.message, text: 'hi \uDC00' } })).toEqual([
      'message.text',
    ]);
  });

  it('when a string, a list or a number passes its bound, then the field is named', () => {
    expect(refused({ ...created, language: `en-${'abcdefgh-'.repeat(4)}x1` })).toEqual(['language']);
    expect(refused({ ...created, consumer: { ...created.consumer, name: 'x'.repeat(201) } })).toEqual([
      'consumer.name',
    ]);
    expect(refused({ ...created, queue: { id: 'q-1', menuPath: Array(11).fill('a') } })).toEqual([
      'queue.menuPath',
    ]);
    const crm = (url: string) => ({ ...created, crm: { ...created.crm, url } });
    expect(refused(crm(`https://acme.example/${'a'.repeat(2048)}`))).toEqual(['crm.url']);
    expect(refused(crm('javascript:alert(1)'))).toEqual(['crm.url']);
    const rec = (fields: Record<string, unknown>) => ({
      ...recording,
      recording: { ...recording.recording, ...fields },
    });
    expect(refused(rec({ generation: '1'.repeat(21) }))).toEqual(['recording.generation']);
    expect(refused(rec({ sizeBytes: 2 ** 53 }))).toEqual(['recording.sizeBytes']);
    expect(refused(rec({ bucket: 'Not A Bucket' }))).toEqual(['recording.bucket']);
  });

  it('when the sequence is past the last safe one, or the time outside 2000 to 2099, then the field is named', () => {
    expect(refused({ ...created, sequence: MAX_SEQUENCE })).toEqual([]);
    expect(refused({ ...created, sequence: MAX_SEQUENCE + 1 })).toEqual(['sequence']);
    expect(refused({ ...created, sequence: 2 ** 60 })).toEqual(['sequence']);
    for (const occurredAt of ['1999-12-31T23:59:59Z', '2100-01-01T00:00:00Z', '0000-01-01T00:00:00+01:00'])
      expect(refused({ ...created, occurredAt }), occurredAt).toEqual(['occurredAt']);
    // Any offset, stored as UTC text that sorts as time.
    expect(SessionEvent.parse({ ...created, occurredAt: '2000-01-01T00:30:00+01:00' }).occurredAt).toBe(
      '1999-12-31T23:30:00.000Z',
    );
  });

  it('when sequences are near the largest, then events still fold in order, whatever the delivery', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: MAX_SEQUENCE - 5, max: MAX_SEQUENCE }), { minLength: 2 }),
        (sequences) => {
          const events = sequences.map((sequence, i) =>
            SessionEvent.parse(
              i === 0
                ? { ...created, sequence, eventId: `e-${sequence}` }
                : { ...message, sequence, eventId: `e-${sequence}` },
            ),
          );
          const sorted = [...events].sort(compareEvents).map((e) => e.sequence);
          expect(sorted).toEqual([...sequences].sort((a, b) => a - b));
          const state = fold('S-1', events);
          expect(state.lastSequence).toBe(Math.max(...sequences));
          expect(fold('S-1', [...events].reverse())).toEqual(state);
        },
      ),
    );
  });
});
