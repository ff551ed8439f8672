import type { Firestore } from '@google-cloud/firestore';
import type { OriginalMessage, OriginalMessages } from '../../ports/message-originals.js';
import { CHATS } from './chats.js';
import { EVENTS, SESSIONS } from './session-repository.js';

/** The session's `message.sent` events (`sessions/{id}/events`), which no client can read. */
export class FirestoreOriginalMessages implements OriginalMessages {
  constructor(private readonly db: Firestore) {}

  async find(sessionId: string, messageId: string): Promise<OriginalMessage | undefined> {
    const snapshot = await this.db
      .collection(SESSIONS)
      .doc(sessionId)
      .collection(EVENTS)
      .where('message.id', '==', messageId)
      .limit(1)
      .get();
    const event = snapshot.docs[0]?.data();
    if (!event || event.type !== 'message.sent') return undefined;
    const message = event.message as { id: string; author: OriginalMessage['author']; text: string };
    return { messageId: message.id, author: message.author, text: message.text, sentAt: event.occurredAt };
  }
}

/** `chats/{sessionId}`: every agent who held or shared the chat, whose desktop may still show it. */
export class FirestoreChatAgents {
  constructor(private readonly db: Firestore) {}

  async agentsOf(sessionId: string): Promise<readonly string[]> {
    const agents: unknown = (await this.db.collection(CHATS).doc(sessionId).get()).get('agents');
    return Array.isArray(agents) ? agents.filter((a): a is string => typeof a === 'string') : [];
  }
}
