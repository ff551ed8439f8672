import { afterAll, describe, expect, it } from 'vitest';
import { FirestoreChatStore, MAX_THREAD_MESSAGES } from '../../functions/src/adapters/firestore/chats.js';
import { threadOrder, type ThreadMessage } from '../../functions/src/domain/chat/views.js';
import { systemClock } from '../../functions/src/ports/clock.js';
import { testFirestore, testProjectId } from '../support/projects.js';

const db = testFirestore(testProjectId('chat-thread'));
afterAll(() => db.terminate());

describe("an agent's copy of a long chat's thread", () => {
  it('when a chat holds more messages than a thread answer carries, then the newest are answered, oldest first', async () => {
    const store = new FirestoreChatStore(db, systemClock);
    const total = MAX_THREAD_MESSAGES + 20;
    const start = Date.parse('2026-12-03T10:00:00.000Z');
    const messages: ThreadMessage[] = Array.from({ length: total }, (_, i) => {
      const sentAt = new Date(start + i * 1000).toISOString();
      const messageId = `m${String(i).padStart(4, '0')}`;
      return {
        messageId,
        author: 'customer',
        agentId: null,
        initials: 'MJ',
        text: `message ${i}`,
        sentAt,
        order: threadOrder(sentAt, messageId),
      };
    });
    const thread = db.collection('agentDesks/ari/chats/chat-long/messages');
    for (let i = 0; i < total; i += 400) {
      const batch = db.batch();
      for (const message of messages.slice(i, i + 400)) batch.set(thread.doc(message.messageId), message);
      await batch.commit();
    }
    const read = await store.readThread('ari', 'chat-long');
    expect(read).toHaveLength(MAX_THREAD_MESSAGES);
    expect(read.map((m) => m.text)).toEqual(messages.slice(-MAX_THREAD_MESSAGES).map((m) => m.text));
  });
});
