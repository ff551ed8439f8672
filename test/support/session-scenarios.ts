import fc from 'fast-check';
import type { SessionEvent } from '../../functions/src/domain/sessions/events.js';

/**
 * Valid event histories for one session, as the platform would send them: a created event, a random walk
 * through the moves that make sense at each step, usually an end, and the platform's tear-down after it.
 */
type Move =
  | 'assign'
  | 'connect'
  | 'hold'
  | 'resume'
  | 'transferToQueue'
  | 'transferToAgent'
  | 'join'
  | 'leave'
  | 'record'
  | 'link'
  | 'message';

export interface ScenarioOptions {
  sessionId?: string;
  kind?: 'call' | 'chat';
  startAt?: Date;
}

export function buildScenario(
  choices: number[],
  gapsMs: number[],
  end: boolean,
  opts: ScenarioOptions = {},
): SessionEvent[] {
  const sessionId = opts.sessionId ?? 'S-1';
  let t = (opts.startAt ?? new Date('2026-03-29T00:30:00Z')).getTime();
  let sequence = 0;
  const events: SessionEvent[] = [];
  const next = () => {
    const gap = gapsMs[sequence % Math.max(1, gapsMs.length)] ?? 1000;
    t += gap;
    return {
      schemaVersion: 1 as const,
      sessionId,
      eventId: `${sessionId}-e${sequence}`,
      sequence: sequence++,
      occurredAt: new Date(t).toISOString(),
    };
  };
  events.push({
    ...next(),
    type: 'session.created',
    kind: opts.kind ?? 'call',
    channel: 'ivr',
    queue: { id: 'q-billing', menuPath: ['Billing'] },
    language: 'en',
    consumer: { id: 'c-1', name: 'Ada Lovelace', anonymous: false },
  });
  let status: 'queued' | 'assigned' | 'connected' | 'on_hold' = 'queued';
  const present = new Set<string>();
  let agentN = 0;
  let participantN = 0;
  let recordingN = 0;
  for (const choice of choices) {
    const moves: Move[] = ['join', 'record', 'link', 'transferToQueue', 'message'];
    if (present.size > 0) moves.push('leave');
    if (status === 'queued') moves.push('assign', 'connect');
    if (status === 'assigned') moves.push('connect', 'transferToAgent');
    if (status === 'connected') moves.push('hold', 'transferToAgent');
    if (status === 'on_hold') moves.push('resume', 'transferToAgent');
    const move = moves[choice % moves.length]!;
    switch (move) {
      case 'assign':
        events.push({
          ...next(),
          type: 'session.assigned',
          agent: { id: `agent-${++agentN}`, name: 'Grace' },
        });
        status = 'assigned';
        break;
      case 'connect':
        events.push(
          status === 'queued'
            ? { ...next(), type: 'session.connected', agent: { id: `agent-${++agentN}` } }
            : { ...next(), type: 'session.connected' },
        );
        status = 'connected';
        break;
      case 'hold':
        events.push({ ...next(), type: 'session.held' });
        status = 'on_hold';
        break;
      case 'resume':
        events.push({ ...next(), type: 'session.resumed' });
        status = 'connected';
        break;
      case 'transferToQueue':
        events.push({
          ...next(),
          type: 'session.transferred',
          to: { type: 'queue', queue: { id: 'q-refunds', menuPath: ['Billing', 'Refunds'] } },
        });
        status = 'queued';
        break;
      case 'transferToAgent':
        events.push({
          ...next(),
          type: 'session.transferred',
          to: { type: 'agent', agent: { id: `agent-${++agentN}` } },
        });
        status = 'assigned';
        break;
      case 'join': {
        const id = `p-${++participantN}`;
        events.push({ ...next(), type: 'participant.joined', participant: { id, role: 'external' } });
        present.add(id);
        break;
      }
      case 'leave': {
        const id = [...present][choice % present.size]!;
        events.push({ ...next(), type: 'participant.left', participantId: id });
        present.delete(id);
        break;
      }
      case 'record':
        events.push({
          ...next(),
          type: 'recording.available',
          recording: {
            id: `rec-${++recordingN}`,
            bucket: 'recordings',
            object: `${sessionId}/${recordingN}.wav`,
          },
        });
        break;
      case 'message':
        events.push({
          ...next(),
          type: 'message.sent',
          message: { id: `m-${sequence}`, author: { type: 'consumer' }, text: `Hello ${choice}` },
        });
        break;
      case 'link':
        events.push({
          ...next(),
          type: 'crm.linked',
          crm: { system: 'salesforce', recordId: `500${choice}` },
        });
        break;
    }
  }
  if (end) {
    events.push({ ...next(), type: 'session.ended', reason: 'completed' });
    events.push({
      ...next(),
      type: 'recording.available',
      recording: { id: 'rec-final', bucket: 'recordings', object: `${sessionId}/final.wav` },
    });
  }
  return events;
}

export const arbitraryScenario = (opts: ScenarioOptions = {}) =>
  fc
    .tuple(
      fc.array(fc.nat(1000), { maxLength: 25 }),
      fc.array(fc.integer({ min: 0, max: 3_600_000 }), { minLength: 1, maxLength: 8 }),
      fc.boolean(),
    )
    .map(([choices, gaps, end]) => buildScenario(choices, gaps, end, opts));

/** A delivery of the events as Pub/Sub might make it: any order, some of them more than once. */
export const arbitraryDelivery = (events: SessionEvent[]) =>
  fc
    .shuffledSubarray(events, { minLength: 0, maxLength: events.length })
    .chain((duplicates) =>
      fc.shuffledSubarray([...events, ...duplicates], { minLength: events.length + duplicates.length }),
    );
