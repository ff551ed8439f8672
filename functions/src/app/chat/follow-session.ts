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
    case 'session.created':
      // An assignment that arrived before the session's creation was not yet known as a chat's: now
      // that it is, it offers the chat as it would have, under its own event's id.
      if (session.status !== 'assigned' || !session.agent) return;
      // A redelivery after the offer was made finishes what it left undone (its timeout, its commands).
      if (await deps.chats.getChat(event.sessionId)) await flushOutbox(deps, event.sessionId);
      else {
        const assignment = await deps.thread.lastAssignmentOf(event.sessionId);
        if (assignment?.agentId === session.agent.id)
          await offerChat(deps, {
            sessionId: event.sessionId,
            agentId: assignment.agentId,
            offerId: assignment.eventId,
            at: deps.clock.now(),
          });
      }
      return;
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
      // Only when this event changed a flag the views show (its change stays in the history, so a
      // redelivery after a crash still finishes the job), and only for a chat that exists: a queued
      // session has none yet, and its offer will carry the flags.
      if (!session.profileHistory.some((change) => change.eventId === event.eventId)) return;
      if (await deps.chats.getChat(event.sessionId)) await refreshChatViews(deps, session);
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
