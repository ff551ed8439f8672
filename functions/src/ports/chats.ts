import type { AgentDesk, ChatCase } from '../domain/chat/chat.js';
import type { AgentChatView, ThreadMessage } from '../domain/chat/views.js';
import type { SessionProfile } from '../domain/sessions/profile.js';
import type { PlatformCommand } from './platform-commands.js';

/**
 * What a chat change leaves to do outside the transaction: a command for the platform, or an offer's
 * timeout to schedule. Written with the change and removed once done, so that a failure after the
 * commit is made good by the next attempt (a retried task or request, a redelivered event).
 */
export type ChatOutboxItem =
  | { id: string; type: 'command'; command: PlatformCommand }
  | { id: string; type: 'offer_timeout'; sessionId: string; offerId: string; at: string };

/** A message an agent sent, kept under its client message id so that a retry sends nothing new. */
export interface SentAgentMessage {
  messageId: string;
  clientMessageId: string;
  agentId: string;
  sentAt: string;
  /** As typed: this document is the server's only, never an agent's to read. */
  text: string;
}

/**
 * One atomic unit of work over a chat, the desks of the agents it involves and the documents made
 * for those agents. Reads come before writes; the writes take effect together, or not at all.
 */
export interface ChatTransaction {
  getChat(sessionId: string): Promise<ChatCase | undefined>;
  getDesks(agentIds: readonly string[]): Promise<Map<string, AgentDesk>>;
  getSentMessage(sessionId: string, clientMessageId: string): Promise<SentAgentMessage | undefined>;
  /**
   * Reads the chat's thread mark, which every session message copied to agents' threads also writes:
   * a change that copies the thread to a newly offered agent reads it before the thread, so that a
   * message arriving meanwhile either is in what it reads or waits and then finds that agent.
   */
  readThreadMark(sessionId: string): Promise<void>;
  /**
   * The session's profile flags as they now are, read within the transaction: a flag changed after
   * this read and before the commit makes the work run again, so the views written show the newest.
   */
  getSessionProfile(sessionId: string): Promise<SessionProfile>;
  /** Writes the thread mark (see `readThreadMark`) with the message just added. */
  markThread(sessionId: string, messageId: string): void;
  /** Stores the chat with the queue it came through (`queueId`), by which deleting a queue finds it. */
  putChat(chat: ChatCase, queueId?: string | null): void;
  putDesk(desk: AgentDesk): void;
  putOutbox(sessionId: string, items: readonly ChatOutboxItem[]): void;
  putSentMessage(sessionId: string, sent: SentAgentMessage): void;
  /** The agent's own view of the chat (masked as the company's settings ask), merged over what is there. */
  putView(agentId: string, view: AgentChatView): void;
  putThreadMessages(agentId: string, sessionId: string, messages: readonly ThreadMessage[]): void;
}

export interface ChatStore {
  /** Runs `work` atomically; when another writer got there first, it runs again. */
  inTransaction<T>(work: (tx: ChatTransaction) => Promise<T>): Promise<T>;
  getChat(sessionId: string): Promise<ChatCase | undefined>;
  getDesk(agentId: string): Promise<AgentDesk | undefined>;
  getView(agentId: string, sessionId: string): Promise<AgentChatView | undefined>;
  /** The agent's copy of the thread, in order. */
  readThread(agentId: string, sessionId: string): Promise<ThreadMessage[]>;
  outbox(sessionId: string): Promise<ChatOutboxItem[]>;
  outboxDone(sessionId: string, itemId: string): Promise<void>;
  /** Chats not yet ended that came through the queue (LCH-4), at most `limit`. */
  liveChatsOfQueue(queueId: string, limit: number): Promise<string[]>;
}

export interface WrapUpReason {
  id: string;
  label: string;
}

/** `wrapUpReasons/{id}`: the reasons agents choose from after a chat (LCH-10), managed by admins. */
export interface WrapUpReasonStore {
  list(): Promise<WrapUpReason[]>;
  get(id: string): Promise<WrapUpReason | undefined>;
  save(reason: WrapUpReason): Promise<{ created: boolean }>;
  delete(id: string): Promise<boolean>;
}

/** The customer's messages as the platform reported them (the session's `message.sent` events), in order. */
export interface SessionThreadSource {
  messagesOf(sessionId: string): Promise<ThreadMessage[]>;
  /** The id of the session's latest `session.assigned` event (the offer it makes is named by it). */
  lastAssignmentOf(sessionId: string): Promise<{ eventId: string; agentId: string } | undefined>;
}

/** Schedules an offer's timeout: a task named for the offer, so that asking twice schedules it once. */
export interface OfferTimeouts {
  schedule(sessionId: string, offerId: string, at: Date): Promise<void>;
}

/** The company's live chat settings (`settings/chat`): how long an offer waits for the agent. */
export interface ChatSettingsStore {
  read(): Promise<{ offerTimeoutSeconds: number }>;
  save(settings: { offerTimeoutSeconds: number }, by: { uid: string }, at: Date): Promise<void>;
}
