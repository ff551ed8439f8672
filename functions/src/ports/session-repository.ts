import type { SessionEvent } from '../domain/sessions/events.js';
import type { Session } from '../domain/sessions/session.js';
import type { SessionListing } from '../domain/supervision/session-listing.js';

/**
 * One atomic unit of work over a session and its events. Reads come before writes (as Firestore
 * requires); writes take effect together when the unit commits, or not at all.
 */
export interface SessionTransaction {
  getSession(sessionId: string): Promise<Session | undefined>;
  hasEvent(sessionId: string, eventId: string): Promise<boolean>;
  listEvents(sessionId: string): Promise<SessionEvent[]>;
  /** Stores the state with what supervisors' lists need of it. */
  putSession(session: Session, listing: SessionListing, updatedAt: Date): void;
  putEvent(event: SessionEvent, receivedAt: Date): void;
}

export interface SessionRepository {
  /**
   * Runs `work` on one session atomically; when another writer got there first the store runs it
   * again, so `work` must have no effect but through `tx`.
   */
  inTransaction<T>(sessionId: string, work: (tx: SessionTransaction) => Promise<T>): Promise<T>;
  getSession(sessionId: string): Promise<Session | undefined>;
}
