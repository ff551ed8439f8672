import type { Actor } from '../../domain/access/permissions.js';
import { conflict, notFound } from '../../domain/errors.js';
import { SessionEvent } from '../../domain/sessions/events.js';
import { ingestSessionEvent } from '../ingest-session-event.js';
import type { AuditEntry, ListedSession } from '../../ports/supervision.js';
import { encodeListCursor } from '../../domain/supervision/cursors.js';
import { cursorOf } from './lists.js';
import { authorizeOrThrow, customerView, recordAudit, visibleSession, type SupervisionDeps } from './deps.js';
import { sessionSummary } from './views.js';

/** How long a supervisor has to confirm after looking at the session. */
export const CONFIRMATION_TTL_MS = 2 * 60_000;

const isLive = (s: ListedSession) => s.listState === 'queued' || s.listState === 'connected';

/**
 * END-1, step one: the supervisor asks to end a queued or connected session and gets what they are
 * about to end, with a confirmation bound to the session as it is now.
 */
export async function requestEnd(deps: SupervisionDeps, actor: Actor, sessionId: string) {
  const session = await visibleSession(deps, actor, sessionId, 'session.end');
  if (!isLive(session))
    throw conflict('session_not_live', 'Only a queued or connected session can be ended.');
  const now = deps.clock.now();
  const confirmation = {
    id: deps.newId(),
    sessionId,
    actorUid: actor.uid,
    expectedLastSequence: session.lastSequence,
    expiresAt: new Date(now.getTime() + CONFIRMATION_TTL_MS).toISOString(),
    usedAt: null,
  };
  await deps.confirmations.create(confirmation);
  await recordAudit(deps, {
    actor,
    action: 'session.end_requested',
    session,
    sessionId,
    occurrence: confirmation.id,
    at: now.toISOString(),
  });
  return {
    confirmationId: confirmation.id,
    expiresAt: confirmation.expiresAt,
    session: sessionSummary(session, await deps.settings.stuckThresholds(), now, await customerView(deps)),
  };
}

/**
 * END-1, step two: ends the session if it has not changed since the supervisor looked. The platform
 * gets the end command first (its id is the confirmation's, so a retry is deduplicated); the session
 * is then closed through the same event pipeline as the platform's own events, with the sequence
 * after the one the supervisor saw, so whatever the platform sends meanwhile folds into one state.
 */
export async function confirmEnd(
  deps: SupervisionDeps,
  actor: Actor,
  sessionId: string,
  confirmationId: string,
) {
  const session = await visibleSession(deps, actor, sessionId, 'session.end');
  const confirmation = await deps.confirmations.get(confirmationId);
  if (!confirmation || confirmation.sessionId !== sessionId || confirmation.actorUid !== actor.uid)
    throw notFound('The end confirmation');
  const now = deps.clock.now();
  const [thresholds, view] = await Promise.all([deps.settings.stuckThresholds(), customerView(deps)]);
  if (session.status === 'ended')
    return { ended: true, session: sessionSummary(session, thresholds, now, view) };
  if (confirmation.usedAt !== null)
    throw conflict('confirmation_used', 'This confirmation was already used.');
  if (Date.parse(confirmation.expiresAt) <= now.getTime())
    throw conflict('confirmation_expired', 'The confirmation expired: look at the session again.');
  if (session.lastSequence !== confirmation.expectedLastSequence) {
    throw conflict(
      'session_changed',
      'The session changed since you looked at it: review it and confirm again.',
      { session: sessionSummary(session, thresholds, now, view) },
    );
  }

  await deps.commands.publish({
    type: 'session.end',
    commandId: confirmation.id,
    sessionId,
    requestedBy: actor.uid,
    reason: 'ended_by_supervisor',
  });
  const ended = SessionEvent.parse({
    schemaVersion: 1,
    eventId: `supervisor-end-${confirmation.id}`,
    sessionId,
    sequence: confirmation.expectedLastSequence + 1,
    occurredAt: now.toISOString(),
    type: 'session.ended',
    reason: 'ended_by_supervisor',
  });
  const result = await ingestSessionEvent(deps.ingest, ended);
  await deps.confirmations.markUsed(confirmation.id, now);
  await recordAudit(deps, {
    actor,
    action: 'session.ended',
    session,
    sessionId,
    occurrence: confirmation.id,
    at: now.toISOString(),
  });
  const after = await deps.sessions.get(sessionId);
  return {
    ended: result.session.status === 'ended',
    session: after ? sessionSummary(after, thresholds, now, view) : null,
  };
}

/** How many entries one page may read past: the skipped ones are bounded too, whoever reads. */
export const MAX_AUDIT_ENTRIES_SCANNED = 1_000;

/**
 * The audit trail (who monitored, barged or ended what, and when), for admins; never the entries about
 * the reader as the monitored agent. Those are skipped while reading, so that a page is full whenever a
 * next one exists, unless a page had to read past more than MAX_AUDIT_ENTRIES_SCANNED entries: then it
 * ends short, with a cursor after the last entry read.
 */
export async function readAudit(
  deps: SupervisionDeps,
  actor: Actor,
  filter: { sessionId?: string; actorUid?: string },
  page: { size: number; cursor?: string },
) {
  authorizeOrThrow(actor, { type: 'audit.read' });
  let after = cursorOf('audit', filter, page.cursor);
  const kept: AuditEntry[] = [];
  let scanned = 0;
  // One more than the page, to know whether a next page exists.
  while (kept.length <= page.size) {
    if (scanned >= MAX_AUDIT_ENTRIES_SCANNED && after)
      return { items: kept, nextCursor: encodeListCursor('audit', filter, after) };
    const limit = page.size + 1;
    const batch = await deps.audit.list(filter, { limit, ...(after ? { after } : {}) });
    scanned += batch.length;
    for (const entry of batch) if (entry.agentId !== actor.uid && kept.length <= page.size) kept.push(entry);
    const last = batch[batch.length - 1];
    if (batch.length < limit || !last) break;
    after = { sortKey: last.at, id: last.id };
  }
  const items = kept.slice(0, page.size);
  const last = items[items.length - 1];
  return {
    items,
    nextCursor:
      kept.length > page.size && last
        ? encodeListCursor('audit', filter, { sortKey: last.at, id: last.id })
        : null,
  };
}
