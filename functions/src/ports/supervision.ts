import type {
  Cursor,
  QueryPlan,
  SessionListing,
  StuckThresholds,
} from '../domain/supervision/session-listing.js';
import type { Session } from '../domain/sessions/session.js';

export type ListedSession = Session & SessionListing;

export interface ChatMessage {
  id: string;
  sequence: number;
  sentAt: string;
  author: { type: 'consumer' | 'agent' | 'virtual_agent' | 'system'; id?: string };
  text: string;
}

export interface SessionQueries {
  /** One query; returns the documents it read. */
  run(plan: QueryPlan): Promise<ListedSession[]>;
  get(sessionId: string): Promise<ListedSession | undefined>;
  /** The connected sessions of these agents. */
  liveSessionsOfAgents(agentIds: readonly string[]): Promise<ListedSession[]>;
  messages(sessionId: string, limit: number): Promise<ChatMessage[]>;
}

export interface AgentSummary {
  uid: string;
  name: string;
  teamIds: string[];
  /** The list's sort key, for the next page's cursor. */
  nameSort: string;
}

export interface AgentQueries {
  run(plan: QueryPlan): Promise<AgentSummary[]>;
}

export type MonitorMode = 'listen' | 'barge';

export interface Monitor {
  sessionId: string;
  uid: string;
  mode: MonitorMode;
  startedAt: string;
  stoppedAt: string | null;
  stopReason: 'stopped' | 'session_ended' | null;
}

/** Monitors live apart from sessions: nothing an agent or a consumer can read leads to them (MON-1). */
export interface MonitorStore {
  /**
   * Starts (or upgrades to barge) this person's monitor of the session; idempotent. Atomic with a
   * check that the session is connected, so that it never outlives the session: against a session's
   * end (which writes the session, then stops its monitors), either this start comes first and the end
   * stops it, or it sees the session ended and starts nothing.
   */
  start(
    sessionId: string,
    uid: string,
    mode: MonitorMode,
    at: Date,
  ): Promise<{ started: true; monitor: Monitor; changed: boolean } | { started: false }>;
  /** Stops it; false when there was nothing to stop. */
  stop(sessionId: string, uid: string, at: Date): Promise<boolean>;
  stopAll(sessionId: string, at: Date): Promise<number>;
  get(sessionId: string, uid: string): Promise<Monitor | undefined>;
}

export type AuditAction =
  | 'monitor.started'
  | 'monitor.stopped'
  | 'barge.started'
  | 'session.end_requested'
  | 'session.ended'
  | 'recording.downloaded'
  | 'person.saved'
  | 'person.deleted'
  | 'role.saved'
  | 'role.deleted'
  | 'queue.teams_changed'
  | 'stuck_thresholds.changed'
  | 'message.revealed'
  | 'privacy_settings.changed'
  | 'sip_redirection.changed'
  | 'sip_redirection.removed'
  | 'virtual_agent.changed'
  /** NOT-1…NOT-4: a notification section, a queue's whisper or a tone of the library. */
  | 'notification_settings.changed'
  | 'queue_whisper.changed'
  | 'queue_whisper.removed'
  | 'notification_tone.uploaded'
  | 'notification_tone.replaced'
  | 'notification_tone.deleted'
  /** UNA-4: an anonymous consumer's tickets moved to a logged-in identity (actor `platform`), or back. */
  | 'consumer.merged'
  | 'consumer.unmerged';

/** What an admin's change was made to (people, roles, queues, company settings). */
export interface AuditSubject {
  type: 'person' | 'role' | 'queue' | 'settings' | 'consumer_merge' | 'notification_tone';
  id: string;
}

export interface AuditEntry {
  id: string;
  at: string;
  action: AuditAction;
  actorUid: string;
  /** Null for an admin's change, which concerns no session. */
  sessionId: string | null;
  kind: 'call' | 'chat' | null;
  /** The agent who was monitored, barged on or ended on, if any: never shown to them. */
  agentId: string | null;
  teamIds: string[];
  /** For `recording.downloaded`: which recording (its plan id). */
  recordingPlanId?: string;
  /** For an admin's change: what it was made to. */
  subject?: AuditSubject;
  /** For `message.revealed`: which message's original text was read (never the text itself). */
  messageId?: string;
}

export interface AuditLog {
  /** Idempotent by `entry.id`. */
  record(entry: AuditEntry): Promise<void>;
  /** Up to `limit` entries, newest first (by `at`, then id), after the one at `after` if given. */
  list(
    filter: { sessionId?: string; actorUid?: string },
    page: { limit: number; after?: Cursor },
  ): Promise<AuditEntry[]>;
}

export interface EndConfirmation {
  id: string;
  sessionId: string;
  actorUid: string;
  /** The session as the supervisor saw it: ending is refused if it moved on since. */
  expectedLastSequence: number;
  expiresAt: string;
  usedAt: string | null;
}

export interface EndConfirmations {
  create(confirmation: EndConfirmation): Promise<void>;
  get(id: string): Promise<EndConfirmation | undefined>;
  /** Marks it used unless it already was; false when it was. */
  markUsed(id: string, at: Date): Promise<boolean>;
}

export interface SupervisionSettings {
  stuckThresholds(): Promise<StuckThresholds>;
}
