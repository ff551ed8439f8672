import { decide, agentsInvolved } from '../../domain/chat/chat.js';
import {
  checkAgentMessage,
  maskedMessage,
  threadOrder,
  type ThreadMessage,
} from '../../domain/chat/views.js';
import { invalidRequest } from '../../domain/errors.js';
import { flushOutbox, refusalError, type ChatDeps } from './chats.js';

function refuseText(text: string) {
  const problem = checkAgentMessage(text);
  if (!problem) return;
  switch (problem.problem) {
    case 'empty':
      throw invalidRequest('The message is empty.', [
        { path: 'text', message: 'must not be empty', code: 'too_small' },
      ]);
    case 'reserved_character':
      throw invalidRequest(
        `The message contains "${problem.character}", which is reserved for template parameters and cannot be sent.`,
        [{ path: 'text', message: `must not contain ${problem.character}`, code: 'reserved_character' }],
      );
    case 'too_long':
      throw invalidRequest(`The message has ${problem.characters} characters; at most 1000 can be sent.`, [
        { path: 'text', message: 'must be at most 1000 characters', code: 'too_big' },
      ]);
  }
}

/**
 * LCH-5: the agent who answers (or shares) the chat sends a message. It joins the thread of every
 * agent in the chat and goes to the platform once: the client's message id names it, so a retry
 * answers the message sent the first time and sends nothing new.
 */
export async function sendAgentMessage(
  deps: ChatDeps,
  agentId: string,
  sessionId: string,
  input: { clientMessageId: string; text: string },
): Promise<{ message: ThreadMessage; created: boolean }> {
  refuseText(input.text);
  const { maskSensitiveData: mask } = await deps.privacy.read();
  const sentKey = `${agentId}:${input.clientMessageId}`;
  const result = await deps.chats.inTransaction(async (tx) => {
    const chat = await tx.getChat(sessionId);
    const sent = await tx.getSentMessage(sessionId, sentKey);
    const at = deps.clock.now().toISOString();
    if (sent) {
      const message: ThreadMessage = {
        messageId: sent.messageId,
        author: 'agent',
        agentId,
        initials: null,
        text: sent.text,
        sentAt: sent.sentAt,
        order: threadOrder(sent.sentAt, sent.messageId),
      };
      return { message: maskedMessage(message, mask), created: false };
    }
    const action = { type: 'send_message' as const, agentId, at };
    const decision = decide(chat, await tx.getDesks(agentsInvolved(chat, action)), action);
    if (!decision.ok) throw refusalError(decision);
    const messageId = `agent-${deps.newId()}`;
    const message: ThreadMessage = {
      messageId,
      author: 'agent',
      agentId,
      initials: null,
      text: input.text,
      sentAt: at,
      order: threadOrder(at, messageId),
    };
    tx.putChat(decision.chat);
    tx.putSentMessage(sessionId, {
      messageId,
      clientMessageId: sentKey,
      agentId,
      sentAt: at,
      text: input.text,
    });
    const shown = maskedMessage(message, mask);
    for (const id of [decision.chat.owner, decision.chat.guest])
      if (id) tx.putThreadMessages(id, sessionId, [shown]);
    tx.putOutbox(sessionId, [
      {
        id: `message-${messageId}`,
        type: 'command',
        command: {
          type: 'chat.message',
          commandId: messageId,
          sessionId,
          messageId,
          agentId,
          text: input.text,
        },
      },
    ]);
    return { message: shown, created: true };
  });
  await flushOutbox(deps, sessionId);
  return result;
}

/** LCH-3: the agent's copy of the thread, in order (masked as it was written). */
export async function readThread(deps: ChatDeps, agentId: string, sessionId: string) {
  const view = await deps.chats.getView(agentId, sessionId);
  if (!view) throw refusalError({ reason: 'no_chat', message: '' });
  return { view, messages: await deps.chats.readThread(agentId, sessionId) };
}
