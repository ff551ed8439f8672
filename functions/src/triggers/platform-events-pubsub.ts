import type { CloudEvent } from '@google-cloud/functions-framework';
import { ingestSessionEvent, type IngestDeps } from '../app/ingest-session-event.js';
import { SessionEvent } from '../domain/sessions/events.js';
import { zodIssues } from '../domain/errors.js';
import { logs } from '../log.js';

export interface PubSubMessagePublished {
  message?: { data?: string; messageId?: string; attributes?: Record<string, string> };
  subscription?: string;
}

/**
 * Session events from the platform's Pub/Sub topic (Eventarc in production, a push subscription
 * locally). Returning acknowledges the message; throwing asks for redelivery. An invalid message can
 * never become valid, so it is logged as poison and acknowledged; a failure to store is thrown and
 * retried (the subscription's dead-letter policy bounds it).
 */
export function platformEventsFromPubSub(deps: { ingest: () => IngestDeps }) {
  return async (cloudEvent: CloudEvent<PubSubMessagePublished>): Promise<void> => {
    const message = cloudEvent.data?.message;
    const messageId = message?.messageId ?? cloudEvent.id;
    const subscription = cloudEvent.data?.subscription;
    const poison = (issues: { path: string; code: string }[]) =>
      logs.poisonMessageDropped({ messageId, ...(subscription ? { subscription } : {}), issues });

    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(message?.data ?? '', 'base64').toString('utf8'));
    } catch {
      return poison([{ path: 'message.data', code: 'invalid_json' }]);
    }
    const parsed = SessionEvent.safeParse(json);
    if (!parsed.success) return poison(zodIssues(parsed.error).map(({ path, code }) => ({ path, code })));

    const event = parsed.data;
    const result = await ingestSessionEvent(deps.ingest(), event);
    logs.sessionEventIngested({
      sessionId: event.sessionId,
      eventId: event.eventId,
      eventType: event.type,
      outcome: result.outcome,
      status: result.session.status,
      ...(result.anomaly ? { anomaly: result.anomaly } : {}),
    });
  };
}
