import type { DocumentReference, Firestore, Timestamp } from '@google-cloud/firestore';
import { unavailable } from '../../domain/errors.js';
import { foldedFields, type SessionEvent } from '../../domain/sessions/events.js';
import {
  comesAfter,
  storedSession,
  type FoldCheckpoint,
  type Session,
} from '../../domain/sessions/session.js';
import type { SessionRepository, SessionTransaction } from '../../ports/session-repository.js';
import { retryLostRaces } from './optimistic-retry.js';

/**
 * Layout: `sessions/{sessionId}` holds the folded state (plus `updatedAt`), and
 * `sessions/{sessionId}/events/{eventId}` every distinct event as received (plus `receivedAt`), and
 * `sessions/{sessionId}/folds/checkpoint` the state some events back, where a late event's fold starts.
 *
 * Concurrency is optimistic: the unit of work reads without locks, then commits one batch that
 * updates the session only if it is unchanged since it was read (its update time), creates it only if
 * it still does not exist, and creates the event only if it is new. Every write to a session's events
 * also writes the session, so the session's update time guards the history read as well. A lost race
 * is retried at once with jitter. Read-write transactions would lock instead: a burst of events on one
 * call then queues behind lock waits (on the emulator, 2 s lock time-outs per conflict).
 */
export const SESSIONS = 'sessions';
export const EVENTS = 'events';
export const FOLDS = 'folds';
const CHECKPOINT = 'checkpoint';

const RETRIES = {
  maxAttempts: 40,
  maxBackoffMs: 500,
  whenExhausted: () => unavailable('The session is busy; retry shortly.'),
};

export function toSession(data: FirebaseFirestore.DocumentData | undefined): Session | undefined {
  if (!data) return undefined;
  const {
    updatedAt: _updatedAt,
    listState: _listState,
    stateSince: _stateSince,
    teamIds: _teamIds,
    searchTokens: _searchTokens,
    ...session
  } = data;
  return storedSession(session as Session);
}

export function toEvent(data: FirebaseFirestore.DocumentData): SessionEvent {
  const { receivedAt: _receivedAt, ...event } = data;
  return event as SessionEvent;
}

export class FirestoreSessionRepository implements SessionRepository {
  constructor(private readonly db: Firestore) {}

  private sessionRef(sessionId: string): DocumentReference {
    return this.db.collection(SESSIONS).doc(sessionId);
  }

  async getSession(sessionId: string): Promise<Session | undefined> {
    return toSession((await this.sessionRef(sessionId).get()).data());
  }

  /** Units of work on the same session in this instance run one after another: racing ourselves only costs retries. */
  private readonly queues = new Map<string, Promise<unknown>>();

  inTransaction<T>(sessionId: string, work: (tx: SessionTransaction) => Promise<T>): Promise<T> {
    const previous = this.queues.get(sessionId) ?? Promise.resolve();
    const run = previous.then(
      () => retryLostRaces(() => this.attempt(work), RETRIES),
      () => retryLostRaces(() => this.attempt(work), RETRIES),
    );
    const settled = run.catch(() => undefined);
    this.queues.set(sessionId, settled);
    void settled.then(() => {
      if (this.queues.get(sessionId) === settled) this.queues.delete(sessionId);
    });
    return run;
  }

  private async attempt<T>(work: (tx: SessionTransaction) => Promise<T>): Promise<T> {
    /** Update time of each session read; null when it did not exist. */
    const readVersions = new Map<string, Timestamp | null>();
    const writes: ((batch: FirebaseFirestore.WriteBatch) => void)[] = [];
    const result = await work({
      getSession: async (sessionId) => {
        const snapshot = await this.sessionRef(sessionId).get();
        readVersions.set(sessionId, snapshot.updateTime ?? null);
        return toSession(snapshot.data());
      },
      hasEvent: async (sessionId, eventId) =>
        (await this.sessionRef(sessionId).collection(EVENTS).doc(eventId).get()).exists,
      listEventsAfter: async (sessionId, position) => {
        const events = this.sessionRef(sessionId).collection(EVENTS);
        const query = position ? events.where('sequence', '>=', position.sequence) : events;
        const snapshot = await query.select(...foldedFields()).get();
        const read = snapshot.docs.map((d) => toEvent(d.data()));
        return position ? read.filter((e) => comesAfter(e, position)) : read;
      },
      getCheckpoint: async (sessionId) => {
        const checkpoint = (
          await this.sessionRef(sessionId).collection(FOLDS).doc(CHECKPOINT).get()
        ).data() as FoldCheckpoint | undefined;
        return checkpoint && { ...checkpoint, session: storedSession(checkpoint.session) };
      },
      putCheckpoint: (sessionId, checkpoint) => {
        const ref = this.sessionRef(sessionId).collection(FOLDS).doc(CHECKPOINT);
        writes.push((batch) => batch.set(ref, checkpoint));
      },
      putSession: (session, listing, updatedAt) => {
        const version = readVersions.get(session.id);
        if (version === undefined) throw new Error('putSession needs the session to be read first');
        const ref = this.sessionRef(session.id);
        const data = { ...session, ...listing, updatedAt };
        writes.push((batch) =>
          version === null ? batch.create(ref, data) : batch.update(ref, data, { lastUpdateTime: version }),
        );
      },
      putEvent: (event, receivedAt) => {
        const ref = this.sessionRef(event.sessionId).collection(EVENTS).doc(event.eventId);
        writes.push((batch) => batch.create(ref, { ...event, receivedAt }));
      },
    });
    if (writes.length > 0) {
      const batch = this.db.batch();
      for (const write of writes) write(batch);
      await batch.commit();
    }
    return result;
  }
}
