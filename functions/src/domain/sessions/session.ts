import type {
  AgentRef,
  Channel,
  CrmLink,
  EndReason,
  Kind,
  QueueRef,
  SessionEvent,
  SessionEventOf,
} from './events.js';
import { compareEvents } from './events.js';
import {
  applyProfileWrite,
  type Metadata,
  type ProfileChange,
  type ProfileState,
  type ProfileWrite,
  type SessionProfile,
} from './profile.js';

/**
 * The state of one call or chat, as folded from its events. Everything here is derived from the events:
 * `fold(events)` in (sequence, eventId) order is the definition, and applying one more event whose
 * sequence is above `lastSequence` is the same as folding again with it.
 */
export type SessionStatus = 'pending' | 'queued' | 'assigned' | 'connected' | 'on_hold' | 'ended';

export const ACTIVE_STATUSES: readonly SessionStatus[] = ['queued', 'assigned', 'connected', 'on_hold'];

export interface Participant {
  id: string;
  role: 'agent' | 'consumer' | 'virtual_agent' | 'external';
  name?: string;
  joinedAt: string;
  leftAt?: string;
}

export interface Transfer {
  at: string;
  from: { queueId: string | null; agentId: string | null };
  to: { type: 'queue'; queueId: string } | { type: 'agent'; agentId: string };
}

export interface RecordingRef {
  id: string;
  bucket: string;
  object: string;
  generation?: string;
  sizeBytes?: number;
  contentType?: string;
  availableAt: string;
}

/** Closed intervals, in milliseconds; the open one (if any) is in `clock`. */
export interface SessionTotals {
  queueWaitMs: number;
  talkMs: number;
  holdMs: number;
  holdCount: number;
  transferCount: number;
}

/** Start of the interval currently running, per measure. */
export interface SessionClock {
  queueWaitSince: string | null;
  talkSince: string | null;
  holdSince: string | null;
}

export interface Anomaly {
  eventId: string;
  sequence: number;
  type: SessionEvent['type'];
  reason: string;
}

export interface Session {
  id: string;
  status: SessionStatus;
  kind: Kind | null;
  channel: Channel | null;
  language: string | null;
  queue: QueueRef | null;
  consumer: { id: string; name: string | null; anonymous: boolean } | null;
  agent: { id: string; name: string | null } | null;
  crm: CrmLink | null;
  /** Profile flags from the reserved data properties (RDP-1, RDP-2): the last writer in event order wins. */
  profile: SessionProfile;
  /** The SDK's own metadata keys (not the reserved ones), as it last sent any. */
  metadata: Metadata;
  /** Every change of a profile flag, oldest first (the newest `MAX_PROFILE_CHANGES_KEPT`). */
  profileHistory: ProfileChange[];
  participants: Participant[];
  transfers: Transfer[];
  recordings: RecordingRef[];
  createdAt: string | null;
  assignedAt: string | null;
  connectedAt: string | null;
  endedAt: string | null;
  endReason: EndReason | null;
  totals: SessionTotals;
  clock: SessionClock;
  /** Chat messages; their text stays in the events, never in the session. */
  messageCount: number;
  lastMessageAt: string | null;
  lastSequence: number;
  eventCount: number;
  /** Events that made no sense at their place in the order; kept (bounded) for support, never fatal. */
  anomalies: Anomaly[];
  /**
   * What agents' notification plans added to the caller's wait (NOT-1, NOT-5). Not from the events: it
   * is recorded when the platform asks for a plan, and kept when the events are folded again.
   */
  notifications: SessionNotifications;
}

/** One call assignment whose plan was announced: recorded once, however often the plan is asked. */
export interface AnnouncedAssignment {
  assignmentId: string;
  agentId: string;
  addsToWaitMs: number;
  /** `owed` until the platform has taken the SMS command; otherwise why the plan sends none. */
  sms: 'owed' | 'sent' | 'disabled' | 'no_phone';
}

export interface SessionNotifications {
  /** Every announced assignment's whisper and countdown, those no longer listed included. */
  announcedWaitMs: number;
  /** The newest `MAX_ANNOUNCED_ASSIGNMENTS_KEPT`, oldest first. */
  assignments: AnnouncedAssignment[];
}

/**
 * Far more assignments than a call has (one per transfer back to a queue): a plan asked again for an
 * assignment older than this many would be counted again.
 */
export const MAX_ANNOUNCED_ASSIGNMENTS_KEPT = 50;

export const MAX_ANOMALIES_KEPT = 20;

export function emptySession(id: string): Session {
  return {
    id,
    status: 'pending',
    kind: null,
    channel: null,
    language: null,
    queue: null,
    consumer: null,
    agent: null,
    crm: null,
    profile: {},
    metadata: {},
    profileHistory: [],
    participants: [],
    transfers: [],
    recordings: [],
    createdAt: null,
    assignedAt: null,
    connectedAt: null,
    endedAt: null,
    endReason: null,
    totals: { queueWaitMs: 0, talkMs: 0, holdMs: 0, holdCount: 0, transferCount: 0 },
    clock: { queueWaitSince: null, talkSince: null, holdSince: null },
    messageCount: 0,
    lastMessageAt: null,
    lastSequence: -1,
    eventCount: 0,
    anomalies: [],
    notifications: { announcedWaitMs: 0, assignments: [] },
  };
}

const elapsedMs = (since: string | null, until: string): number =>
  since === null ? 0 : Math.max(0, Date.parse(until) - Date.parse(since));

/** Stops every running interval at `at`, adding it to the totals. */
function stopClocks(s: Session, at: string): Pick<Session, 'totals' | 'clock'> {
  return {
    totals: {
      ...s.totals,
      queueWaitMs: s.totals.queueWaitMs + elapsedMs(s.clock.queueWaitSince, at),
      talkMs: s.totals.talkMs + elapsedMs(s.clock.talkSince, at),
      holdMs: s.totals.holdMs + elapsedMs(s.clock.holdSince, at),
    },
    clock: { queueWaitSince: null, talkSince: null, holdSince: null },
  };
}

const agentOf = (a: AgentRef) => ({ id: a.id, name: a.name ?? null });

const withProfileWrite = (s: Session, write: ProfileWrite): Session => {
  const state: ProfileState = applyProfileWrite(s, write);
  return { ...s, profile: state.profile, metadata: state.metadata, profileHistory: state.profileHistory };
};

type Step = Session | { anomaly: string };

type Handlers = { [T in SessionEvent['type']]: (s: Session, e: SessionEventOf<T>) => Step };

const isLive = (s: Session) => ACTIVE_STATUSES.includes(s.status);

const transitions: Handlers = {
  'session.created': (s, e) => {
    if (s.status !== 'pending') return { anomaly: 'session already created' };
    const withMetadata = e.metadata
      ? withProfileWrite(s, {
          source: 'sdk',
          by: null,
          metadata: e.metadata,
          sequence: e.sequence,
          eventId: e.eventId,
          at: e.occurredAt,
        })
      : s;
    return {
      ...withMetadata,
      status: 'queued',
      kind: e.kind,
      channel: e.channel,
      language: e.language,
      queue: e.queue,
      consumer: { id: e.consumer.id, name: e.consumer.name ?? null, anonymous: e.consumer.anonymous },
      crm: e.crm ?? s.crm,
      createdAt: e.occurredAt,
      clock: { ...s.clock, queueWaitSince: e.occurredAt },
    };
  },

  'session.assigned': (s, e) => {
    if (s.status !== 'queued') return { anomaly: `cannot assign a session that is ${s.status}` };
    return {
      ...s,
      ...stopClocks(s, e.occurredAt),
      status: 'assigned',
      agent: agentOf(e.agent),
      assignedAt: e.occurredAt,
    };
  },

  'session.connected': (s, e) => {
    if (s.status === 'queued' && !e.agent) return { anomaly: 'connected from the queue without an agent' };
    if (s.status !== 'queued' && s.status !== 'assigned')
      return { anomaly: `cannot connect a session that is ${s.status}` };
    const stopped = stopClocks(s, e.occurredAt);
    return {
      ...s,
      ...stopped,
      status: 'connected',
      agent: e.agent ? agentOf(e.agent) : s.agent,
      assignedAt: s.assignedAt ?? e.occurredAt,
      connectedAt: s.connectedAt ?? e.occurredAt,
      clock: { ...stopped.clock, talkSince: e.occurredAt },
    };
  },

  'session.held': (s, e) => {
    if (s.status !== 'connected') return { anomaly: `cannot hold a session that is ${s.status}` };
    const stopped = stopClocks(s, e.occurredAt);
    return {
      ...s,
      status: 'on_hold',
      totals: { ...stopped.totals, holdCount: stopped.totals.holdCount + 1 },
      clock: { ...stopped.clock, holdSince: e.occurredAt },
    };
  },

  'session.resumed': (s, e) => {
    if (s.status !== 'on_hold') return { anomaly: `cannot resume a session that is ${s.status}` };
    const stopped = stopClocks(s, e.occurredAt);
    return { ...s, ...stopped, status: 'connected', clock: { ...stopped.clock, talkSince: e.occurredAt } };
  },

  'session.transferred': (s, e) => {
    if (!isLive(s)) return { anomaly: `cannot transfer a session that is ${s.status}` };
    if (e.to.type === 'agent' && s.status === 'queued')
      return { anomaly: 'a queued session is assigned, not transferred, to an agent' };
    const stopped = stopClocks(s, e.occurredAt);
    const transfer: Transfer = {
      at: e.occurredAt,
      from: { queueId: s.queue?.id ?? null, agentId: s.agent?.id ?? null },
      to:
        e.to.type === 'queue'
          ? { type: 'queue', queueId: e.to.queue.id }
          : { type: 'agent', agentId: e.to.agent.id },
    };
    const totals = { ...stopped.totals, transferCount: stopped.totals.transferCount + 1 };
    const transfers = [...s.transfers, transfer];
    if (e.to.type === 'queue') {
      return {
        ...s,
        status: 'queued',
        queue: e.to.queue,
        agent: null,
        totals,
        transfers,
        clock: { ...stopped.clock, queueWaitSince: e.occurredAt },
      };
    }
    return { ...s, status: 'assigned', agent: agentOf(e.to.agent), totals, transfers, clock: stopped.clock };
  },

  'participant.joined': (s, e) => {
    if (!isLive(s)) return { anomaly: `cannot join a session that is ${s.status}` };
    if (s.participants.some((p) => p.id === e.participant.id && p.leftAt === undefined))
      return { anomaly: 'participant already in the session' };
    const joined: Participant = { id: e.participant.id, role: e.participant.role, joinedAt: e.occurredAt };
    if (e.participant.name !== undefined) joined.name = e.participant.name;
    return { ...s, participants: [...s.participants, joined] };
  },

  'participant.left': (s, e) => {
    // Leaving may be reported after the end: the platform tears down legs after the session.
    if (s.status === 'pending') return { anomaly: 'session not created yet' };
    const index = s.participants.findIndex((p) => p.id === e.participantId && p.leftAt === undefined);
    if (index < 0) return { anomaly: 'participant not in the session' };
    const participants = s.participants.map((p, i) => (i === index ? { ...p, leftAt: e.occurredAt } : p));
    return { ...s, participants };
  },

  'recording.available': (s, e) => {
    if (s.status === 'pending') return { anomaly: 'session not created yet' };
    if (s.recordings.some((r) => r.id === e.recording.id)) return { anomaly: 'recording already known' };
    return { ...s, recordings: [...s.recordings, { ...e.recording, availableAt: e.occurredAt }] };
  },

  'crm.linked': (s, e) => {
    if (s.status === 'pending') return { anomaly: 'session not created yet' };
    return { ...s, crm: e.crm };
  },

  'message.sent': (s, e) => {
    if (s.status === 'pending') return { anomaly: 'session not created yet' };
    return { ...s, messageCount: s.messageCount + 1, lastMessageAt: e.occurredAt };
  },

  'metadata.updated': (s, e) => {
    if (s.status === 'pending') return { anomaly: 'session not created yet' };
    return withProfileWrite(s, {
      source: e.source,
      by: e.by ?? null,
      metadata: e.metadata,
      sequence: e.sequence,
      eventId: e.eventId,
      at: e.occurredAt,
    });
  },

  'session.ended': (s, e) => {
    if (!isLive(s)) return { anomaly: `cannot end a session that is ${s.status}` };
    return {
      ...s,
      ...stopClocks(s, e.occurredAt),
      status: 'ended',
      endedAt: e.occurredAt,
      endReason: e.reason,
      participants: s.participants.map((p) => (p.leftAt === undefined ? { ...p, leftAt: e.occurredAt } : p)),
    };
  },
};

/** Applies one event at the end of the order. Events that do not fit are recorded as anomalies. */
export function applyEvent(session: Session, event: SessionEvent): Session {
  const handler = transitions[event.type] as (s: Session, e: SessionEvent) => Step;
  const step = handler(session, event);
  const next: Session =
    'anomaly' in step
      ? {
          ...session,
          anomalies: [
            ...session.anomalies,
            { eventId: event.eventId, sequence: event.sequence, type: event.type, reason: step.anomaly },
          ].slice(-MAX_ANOMALIES_KEPT),
        }
      : step;
  return {
    ...next,
    lastSequence: Math.max(session.lastSequence, event.sequence),
    eventCount: session.eventCount + 1,
  };
}

/**
 * A session as stored before some of its fields existed: each missing one takes its initial value,
 * which is what folding its events gives (they predate what the field derives from).
 */
export function storedSession<T extends Session>(stored: T): T {
  return { ...emptySession(stored.id), ...stored };
}

/** The definition of a session's state: its distinct events folded in order. */
export function fold(sessionId: string, events: readonly SessionEvent[]): Session {
  const seen = new Set<string>();
  const distinct = [...events].sort(compareEvents).filter((e) => !seen.has(e.eventId) && seen.add(e.eventId));
  return distinct.reduce(applyEvent, emptySession(sessionId));
}

/**
 * How an incoming event joins what is stored:
 * - `append`: it comes after everything seen, so it is applied to the stored state;
 * - `needs-history`: it is a duplicate or arrived late; the stored events decide (see `mergeLate`).
 */
export function planIngest(stored: Session | undefined, event: SessionEvent): 'append' | 'needs-history' {
  return stored === undefined || event.sequence > stored.lastSequence ? 'append' : 'needs-history';
}

/** A place in the fold order: an event's (sequence, eventId). */
export interface FoldPosition {
  sequence: number;
  eventId: string;
}

/** The state after every event up to and including `upTo`, in fold order: where a late event's fold may start. */
export interface FoldCheckpoint {
  upTo: FoldPosition;
  session: Session;
}

/**
 * How many events the checkpoint trails the last one by: an event at most this late folds from the
 * checkpoint, reading only the events after it; a later one folds from the beginning.
 */
export const CHECKPOINT_TRAIL = 64;

/** Whether `event` comes after `position` in fold order (sequence, then id). */
export const comesAfter = (event: FoldPosition, position: FoldPosition) =>
  event.sequence > position.sequence ||
  (event.sequence === position.sequence && event.eventId > position.eventId);

/** Where the fold of a late event starts: the checkpoint if the event falls after it, else the beginning. */
export function foldStart(
  checkpoint: FoldCheckpoint | undefined,
  event: FoldPosition,
): FoldCheckpoint | undefined {
  return checkpoint && comesAfter(event, checkpoint.upTo) ? checkpoint : undefined;
}

/**
 * For an event that did not come last, given `after`: every stored event that comes after `from`
 * (every stored event when there is no `from`). A duplicate changes nothing; a late event is folded
 * into place from `from`, and the checkpoint moves up to trail the last event by `trail` events.
 * The result is `fold` of every event: `from` holds the fold of those before it.
 */
export function mergeLate(
  sessionId: string,
  from: FoldCheckpoint | undefined,
  after: readonly SessionEvent[],
  event: SessionEvent,
  trail = CHECKPOINT_TRAIL,
): { duplicate: true } | { duplicate: false; session: Session; checkpoint: FoldCheckpoint | undefined } {
  if (after.some((e) => e.eventId === event.eventId)) return { duplicate: true };
  const seen = new Set<string>();
  const ordered = [...after, event]
    .sort(compareEvents)
    .filter((e) => !seen.has(e.eventId) && seen.add(e.eventId));
  const trailing = ordered.length - 1 - trail;
  let session = from?.session ?? emptySession(sessionId);
  let checkpoint = from;
  ordered.forEach((e, index) => {
    session = applyEvent(session, e);
    if (index === trailing) checkpoint = { upTo: { sequence: e.sequence, eventId: e.eventId }, session };
  });
  return { duplicate: false, session, checkpoint };
}

/**
 * Records that the plan for a call assignment was announced, once: asked again for the same assignment,
 * the session is unchanged and the assignment first recorded is returned.
 */
export function announceAssignment(
  session: Session,
  announced: AnnouncedAssignment,
): { session: Session; assignment: AnnouncedAssignment; first: boolean } {
  const { notifications } = session;
  const known = notifications.assignments.find((a) => a.assignmentId === announced.assignmentId);
  if (known) return { session, assignment: known, first: false };
  return {
    session: {
      ...session,
      notifications: {
        announcedWaitMs: notifications.announcedWaitMs + announced.addsToWaitMs,
        assignments: [...notifications.assignments, announced].slice(-MAX_ANNOUNCED_ASSIGNMENTS_KEPT),
      },
    },
    assignment: announced,
    first: true,
  };
}

/**
 * The assignment's SMS is no longer owed: the platform took it (`sent`), or the agent's profile lost
 * its phone before it could be (`no_phone`). Unchanged when it was settled already, or owed none.
 */
export function settleSms(
  session: Session,
  assignmentId: string,
  outcome: 'sent' | 'no_phone',
): Session | undefined {
  const { assignments } = session.notifications;
  const index = assignments.findIndex((a) => a.assignmentId === assignmentId && a.sms === 'owed');
  if (index < 0) return undefined;
  return {
    ...session,
    notifications: {
      ...session.notifications,
      assignments: assignments.map((a, i) => (i === index ? { ...a, sms: outcome } : a)),
    },
  };
}

/**
 * Live metrics for call and chat details (MON-4): closed intervals plus the running one up to `now`.
 * The caller's wait includes the whisper and countdown agents were announced (NOT-1): the caller hears
 * nothing of the agent until they are over.
 */
export function metricsAt(session: Session, now: Date): SessionTotals {
  const at = session.endedAt ?? now.toISOString();
  const { totals, clock } = session;
  return {
    ...totals,
    queueWaitMs:
      totals.queueWaitMs + elapsedMs(clock.queueWaitSince, at) + session.notifications.announcedWaitMs,
    talkMs: totals.talkMs + elapsedMs(clock.talkSince, at),
    holdMs: totals.holdMs + elapsedMs(clock.holdSince, at),
  };
}
