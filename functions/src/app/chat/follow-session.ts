import { initialsOf, threadMessageOf } from '../../domain/chat/views.js';
import type { SessionEvent } from '../../domain/sessions/events.js';
import type { Session } from '../../domain/sessions/session.js';
import {
  addToThread,
  applyChatAction,
  flushOutbox,
  offerChat,
  refreshChatViews,
  type ChatDeps,
} from './chats.js';

/**
 * What a chat's session events mean for the agent side, once the event is stored: an assignment is an
 * offer (LCH-1), a message joins the agents' threads, the end ends the chat. Run on every delivery,
 * redeliveries too: the offer is named by its event, so a second delivery offers nothing new and
 * finishes what the first left undone.
 */
export async function followChatSession(deps: ChatDeps, event: SessionEvent, session: Session) {
  if (session.kind !== 'chat') return;
  switch (event.type) {
    case 'session.assigned':
      // A late assignment the session has moved past offers nothing, but a redelivery of one that
      // took effect still finishes what it left undone (its timeout, its commands).
      if (session.status !== 'assigned' || session.agent?.id !== event.agent.id) {
        await flushOutbox(deps, event.sessionId);
        return;
      }
      await offerChat(deps, {
        sessionId: event.sessionId,
        agentId: event.agent.id,
        offerId: event.eventId,
        at: deps.clock.now(),
      });
      return;
    case 'message.sent': {
      const name = session.consumer?.name ?? session.consumer?.id ?? '';
      await addToThread(
        deps,
        event.sessionId,
        threadMessageOf(event.message, event.occurredAt, initialsOf(name)),
      );
      return;
    }
    case 'metadata.updated':
      await refreshChatViews(deps, event.sessionId);
      return;
    case 'session.ended':
      if (await deps.chats.getChat(event.sessionId))
        await applyChatAction(deps, event.sessionId, {
          type: 'session_ended',
          at: deps.clock.now().toISOString(),
        });
      return;
    default:
      return;
  }
}
