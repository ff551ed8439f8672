import type { SessionEvent } from '../domain/sessions/events.js';
import {
  applyEvent,
  emptySession,
  foldStart,
  mergeLate,
  planIngest,
  type Session,
} from '../domain/sessions/session.js';
import type { Clock } from '../ports/clock.js';
import type { QueueDirectory } from '../ports/queues.js';
import type { RecordingTasks } from '../ports/recordings.js';
import type { SessionRepository } from '../ports/session-repository.js';
import type { MonitorStore } from '../ports/supervision.js';
import { sessionListing } from '../domain/supervision/session-listing.js';
import type { ChatDeps } from './chat/chats.js';
import { followChatSession } from './chat/follow-session.js';
import { noteAnonymousSession, type ConsumerDeps } from './consumers/anonymous-consumers.js';

export type IngestOutcome = 'applied' | 'replayed' | 'duplicate';

export interface IngestResult {
  outcome: IngestOutcome;
  session: Session;
  /** Set when this event did not fit the session's state where it falls in the order. */
  anomaly?: string;
}

/**
 * Records one platform event and brings the session up to date, in one transaction. A redelivered
 * event changes nothing; an event that arrives after later ones is folded back into its place.
 */
export interface IngestDeps {
  sessions: SessionRepository;
  queues: QueueDirectory;
  monitors: MonitorStore;
  clock: Clock;
  /** Where a recording the platform announces is sent to be planned; absent where recordings are off. */
  recordings?: Pick<RecordingTasks, 'enqueuePlanning'>;
  /** Live chat's agent side (offers, threads); absent where its offers' timeouts are not set up. */
  chat?: ChatDeps;
  /** Where anonymous consumers' CRM tickets are asked for (UNA-1); absent where that queue is not set up. */
  consumers?: Pick<ConsumerDeps, 'consumers' | 'tasks'>;
}

export async function ingestSessionEvent(deps: IngestDeps, event: SessionEvent): Promise<IngestResult> {
  const result = await record(deps, event);
  // A session's end stops every monitor (MON-7). Also on a redelivery: an earlier attempt may have
  // stored the end and failed before this.
  if (result.session.status === 'ended') await deps.monitors.stopAll(event.sessionId, deps.clock.now());
  // REC-1: the recording is planned through the queue (planning reads the whole object). Also on a
  // redelivery, for the same reason as above; the task is named, so it is created once.
  if (event.type === 'recording.available' && deps.recordings) {
    const { bucket, object, generation, id } = event.recording;
    await deps.recordings.enqueuePlanning({
      bucket,
      object,
      ...(generation ? { generation } : {}),
      sessionId: event.sessionId,
      recordingId: id,
    });
  }
  // Also on a redelivery, for the same reason: the chat step is idempotent.
  if (deps.chat) await followChatSession(deps.chat, event, result.session);
  // UNA-1: also on a redelivery, for the same reason; a session's ticket is noted and asked for once.
  // After the chat step: the queue or contention on the consumer must not hold up routing the chat.
  if (event.type === 'session.created' && deps.consumers) await noteAnonymousSession(deps.consumers, event);
  return result;
}

function record(deps: IngestDeps, event: SessionEvent): Promise<IngestResult> {
  return deps.sessions.inTransaction(event.sessionId, async (tx) => {
    const now = deps.clock.now();
    const stored = await tx.getSession(event.sessionId);
    let session: Session;
    let outcome: IngestOutcome;
    if (planIngest(stored, event) === 'append') {
      session = applyEvent(stored ?? emptySession(event.sessionId), event);
      outcome = 'applied';
    } else {
      // Only an event at or below the stored sequence lands here, so the session exists. Checking its
      // id first costs one read and spares reading history for the common redelivery.
      const current = stored!;
      if (await tx.hasEvent(event.sessionId, event.eventId))
        return { outcome: 'duplicate', session: current };
      // A late event folds from the checkpoint when it falls after it: only the events since are read.
      const from = foldStart(await tx.getCheckpoint(event.sessionId), event);
      const after = await tx.listEventsAfter(event.sessionId, from?.upTo);
      const merged = mergeLate(event.sessionId, from, after, event);
      if (merged.duplicate) return { outcome: 'duplicate', session: current };
      if (merged.checkpoint && merged.checkpoint !== from)
        tx.putCheckpoint(event.sessionId, merged.checkpoint);
      // What plans announced is not in the events: it stays as recorded.
      session = { ...merged.session, notifications: current.notifications };
      outcome = 'replayed';
    }
    const teamIds = session.queue ? await deps.queues.teamsOfQueue(session.queue.id) : [];
    tx.putEvent(event, now);
    tx.putSession(session, sessionListing(session, teamIds), now);
    const anomaly = session.anomalies.find((a) => a.eventId === event.eventId)?.reason;
    return anomaly === undefined ? { outcome, session } : { outcome, session, anomaly };
  });
}
