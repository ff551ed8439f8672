import { notFound } from '../domain/errors.js';
import { SCHEMA_VERSION, type SessionEventOf } from '../domain/sessions/events.js';
import { reservedPropertiesOf, type Metadata } from '../domain/sessions/profile.js';
import type { Session } from '../domain/sessions/session.js';
import type { SessionRepository } from '../ports/session-repository.js';
import {
  ingestSessionEvent,
  type IngestDeps,
  type IngestOutcome,
  type IngestResult,
} from './ingest-session-event.js';

/**
 * RDP-1 through the Apps API: the platform relays an app's call to set reserved data properties during
 * a session, stamped with its place in the session's event order, or asks for them back. A call to set
 * them is a session event like any other (source `api`), so it is ordered, idempotent and kept in the
 * session's history with the SDK's, SIP's and virtual agents' writes.
 */
export interface ReservedDataWrite {
  sessionId: string;
  eventId: string;
  sequence: number;
  occurredAt: string;
  by?: string;
  properties: Metadata;
}

/** What the Apps API reads back: each reserved property (null when never sent) and the flags behind them. */
function reservedDataOf(session: Session) {
  return {
    sessionId: session.id,
    ...reservedPropertiesOf(session.profile),
    profile: session.profile,
    history: session.profileHistory,
    lastSequence: session.lastSequence,
  };
}

/** What setting them did: the answer the Apps API gives, and the ingestion as the event log records it. */
export interface ReservedDataSet {
  answer: ReturnType<typeof reservedDataOf> & { outcome: IngestOutcome; anomaly?: string };
  ingested: IngestResult;
  event: SessionEventOf<'metadata.updated'>;
}

export async function setReservedData(deps: IngestDeps, write: ReservedDataWrite): Promise<ReservedDataSet> {
  const event: SessionEventOf<'metadata.updated'> = {
    schemaVersion: SCHEMA_VERSION,
    eventId: write.eventId,
    sessionId: write.sessionId,
    sequence: write.sequence,
    occurredAt: write.occurredAt,
    type: 'metadata.updated',
    source: 'api',
    ...(write.by === undefined ? {} : { by: write.by }),
    metadata: write.properties,
  };
  const ingested = await ingestSessionEvent(deps, event);
  return {
    answer: {
      outcome: ingested.outcome,
      ...reservedDataOf(ingested.session),
      ...(ingested.anomaly === undefined ? {} : { anomaly: ingested.anomaly }),
    },
    ingested,
    event,
  };
}

/** 404 for a session the platform never told us of. */
export async function readReservedData(sessions: Pick<SessionRepository, 'getSession'>, sessionId: string) {
  const session = await sessions.getSession(sessionId);
  if (!session) throw notFound('The session');
  return reservedDataOf(session);
}
