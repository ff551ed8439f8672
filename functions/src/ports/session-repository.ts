import type { SessionEvent } from '../domain/sessions/events.js';
import type { FoldCheckpoint, FoldPosition, Session } from '../domain/sessions/session.js';
import type { SessionListing } from '../domain/supervision/session-listing.js';

/**
 * One atomic unit of work over a session and its events. Reads come before writes (as Firestore
 * requires); writes take effect together when the unit commits, or not at all.
 */
export interface SessionTransaction {
  getSession(sessionId: string): Promise<Session | undefined>;
  hasEvent(sessionId: string, eventId: string): Promise<boolean>;
  /**
   * The stored events after `position` in fold order (all of them without one), as folding needs them:
   * a message's text is left out.
   */
  listEventsAfter(sessionId: string, position: FoldPosition | undefined): Promise<SessionEvent[]>;
  getCheckpoint(sessionId: string): Promise<FoldCheckpoint | undefined>;
  putCheckpoint(sessionId: string, checkpoint: FoldCheckpoint): void;
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
