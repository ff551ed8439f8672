import type { DocumentReference, Firestore, Transaction } from '@google-cloud/firestore';
import type { AgentDesk, ChatCase } from '../../domain/chat/chat.js';
import {
  initialsOf,
  threadMessageOf,
  type AgentChatView,
  type ThreadMessage,
} from '../../domain/chat/views.js';
import type { SessionProfile } from '../../domain/sessions/profile.js';
import type {
  ChatOutboxItem,
  ChatSettingsStore,
  ChatStore,
  ChatTransaction,
  SentAgentMessage,
  SessionThreadSource,
  WrapUpReason,
  WrapUpReasonStore,
} from '../../ports/chats.js';
import { conflict } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
import { TtlCache } from './cache.js';

/**
 * Layout:
 * - `chats/{sessionId}`: the chat's state (server only), with `sent/{agentId}:{clientMessageId}` the
 *   messages agents sent, by their client's id, and `thread/mark` the last session message copied to
 *   agents' threads (written even before the chat exists);
 * - `chatOutbox/{key}/items/{itemId}`: what committed changes still have to do (server only);
 * - `agentDesks/{uid}`: the agent's state and owed wrap-ups; under it `chats/{sessionId}` the agent's
 *   view of each chat offered to them and `chats/{sessionId}/messages/{messageId}` their copy of the
 *   thread. Everything under `agentDesks/{uid}` is made for that agent (masked) and readable by them only.
 */
export const CHATS = 'chats';
export const AGENT_DESKS = 'agentDesks';
const OUTBOX = 'chatOutbox';

/** Phases of a chat an agent still has before them: what deleting its queue interrupts. */
export const LIVE_PHASES = [
  'offered',
  'accepted',
  'transfer_requested',
  'conference_requested',
  'conference',
] as const;

/** A thread is read whole when an agent is offered the chat: its length is bounded here. */
export const MAX_THREAD_MESSAGES = 500;

/** A stored chat; one written before chats remembered their past offer ids has none. */
const storedChat = (data: object | undefined): ChatCase | undefined =>
  data && { ...(data as ChatCase), pastOfferIds: (data as Partial<ChatCase>).pastOfferIds ?? [] };

export class FirestoreChatStore implements ChatStore {
  constructor(
    private readonly db: Firestore,
    private readonly clock: Clock,
  ) {}

  private chatRef = (sessionId: string) => this.db.collection(CHATS).doc(sessionId);
  private deskRef = (agentId: string) => this.db.collection(AGENT_DESKS).doc(agentId);
  private viewRef = (agentId: string, sessionId: string) =>
    this.deskRef(agentId).collection(CHATS).doc(sessionId);
  private threadMarkRef = (sessionId: string) => this.chatRef(sessionId).collection('thread').doc('mark');
  private outboxItems = (key: string) => this.db.collection(OUTBOX).doc(key).collection('items');

  inTransaction<T>(work: (tx: ChatTransaction) => Promise<T>): Promise<T> {
    return this.db.runTransaction(async (t) => {
      const writes: ((t: Transaction) => void)[] = [];
      const set = (ref: DocumentReference, data: object) => writes.push((tt) => tt.set(ref, data));
      const result = await work({
        getChat: async (sessionId) => storedChat((await t.get(this.chatRef(sessionId))).data()),
        getDesks: async (agentIds) => {
          if (agentIds.length === 0) return new Map();
          const snapshots = await t.getAll(...agentIds.map(this.deskRef));
          return new Map(
            snapshots.flatMap((s) => (s.exists ? [[s.id, s.data() as AgentDesk] as const] : [])),
          );
        },
        getSentMessage: async (sessionId, clientMessageId) =>
          (await t.get(this.chatRef(sessionId).collection('sent').doc(clientMessageId))).data() as
            SentAgentMessage | undefined,
        readThreadMark: async (sessionId) => {
          await t.get(this.threadMarkRef(sessionId));
        },
        getSessionProfile: async (sessionId) =>
          ((await t.get(this.db.collection('sessions').doc(sessionId))).get('profile') as
            SessionProfile | undefined) ?? {},
        markThread: (sessionId, messageId) =>
          set(this.threadMarkRef(sessionId), { messageId, at: this.clock.now().toISOString() }),
        putChat: (chat, queueId) =>
          writes.push((tt) =>
            tt.set(this.chatRef(chat.sessionId), queueId === undefined ? chat : { ...chat, queueId }, {
              merge: false,
            }),
          ),
        putDesk: (desk) => set(this.deskRef(desk.agentId), desk),
        putOutbox: (key, items) => {
          const createdAt = this.clock.now().toISOString();
          items.forEach((item, index) => set(this.outboxItems(key).doc(item.id), { item, createdAt, index }));
        },
        putSentMessage: (sessionId, sent) =>
          set(this.chatRef(sessionId).collection('sent').doc(sent.clientMessageId), sent),
        putView: (agentId, view) => set(this.viewRef(agentId, view.sessionId), view),
        putThreadMessages: (agentId, sessionId, messages) => {
          const thread = this.viewRef(agentId, sessionId).collection('messages');
          for (const message of messages) set(thread.doc(message.messageId), message);
        },
      });
      for (const write of writes) write(t);
      return result;
    });
  }

  async getChat(sessionId: string): Promise<ChatCase | undefined> {
    return storedChat((await this.chatRef(sessionId).get()).data());
  }

  async getDesk(agentId: string): Promise<AgentDesk | undefined> {
    return (await this.deskRef(agentId).get()).data() as AgentDesk | undefined;
  }

  async getView(agentId: string, sessionId: string): Promise<AgentChatView | undefined> {
    return (await this.viewRef(agentId, sessionId).get()).data() as AgentChatView | undefined;
  }

  async readThread(agentId: string, sessionId: string): Promise<ThreadMessage[]> {
    const snapshot = await this.viewRef(agentId, sessionId)
      .collection('messages')
      .orderBy('order', 'desc')
      .limit(MAX_THREAD_MESSAGES)
      .get();
    // The newest messages of a long chat, oldest first: what the agent is answering is at the end.
    return snapshot.docs.map((d) => d.data() as ThreadMessage).reverse();
  }

  async outbox(key: string): Promise<ChatOutboxItem[]> {
    // A handful of items at most (one change's worth): ordered here, no index needed.
    const snapshot = await this.outboxItems(key).get();
    return snapshot.docs
      .map((d) => d.data() as { item: ChatOutboxItem; createdAt: string; index: number })
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.index - b.index))
      .map((d) => d.item);
  }

  async liveChatsOfQueue(queueId: string, limit: number): Promise<string[]> {
    const snapshot = await this.db
      .collection(CHATS)
      .where('queueId', '==', queueId)
      .where('phase', 'in', [...LIVE_PHASES])
      .limit(limit)
      .select()
      .get();
    return snapshot.docs.map((d) => d.id);
  }

  async outboxDone(key: string, itemId: string): Promise<void> {
    await this.outboxItems(key).doc(itemId).delete();
  }
}

/** The customer's thread as the platform reported it: the session's `message.sent` events. */
export class FirestoreSessionThread implements SessionThreadSource {
  constructor(private readonly db: Firestore) {}

  async messagesOf(sessionId: string): Promise<ThreadMessage[]> {
    const session = this.db.collection('sessions').doc(sessionId);
    const [sessionSnapshot, events] = await Promise.all([
      session.get(),
      session
        .collection('events')
        .where('type', '==', 'message.sent')
        .orderBy('sequence', 'desc')
        .limit(MAX_THREAD_MESSAGES)
        .get(),
    ]);
    const consumer = sessionSnapshot.get('consumer') as { name: string | null; id: string } | undefined;
    const initials = initialsOf(consumer?.name ?? consumer?.id ?? '');
    return events.docs
      .reverse()
      .map((d) => threadMessageOf(d.get('message') as never, d.get('occurredAt') as string, initials));
  }

  async lastAssignmentOf(sessionId: string): Promise<{ eventId: string; agentId: string } | undefined> {
    const snapshot = await this.db
      .collection('sessions')
      .doc(sessionId)
      .collection('events')
      .where('type', '==', 'session.assigned')
      .orderBy('sequence', 'desc')
      .limit(1)
      .get();
    const last = snapshot.docs[0];
    return last && { eventId: last.id, agentId: last.get('agent.id') as string };
  }
}

/** How long an offer waits when no admin has said otherwise. */
export const DEFAULT_OFFER_TIMEOUT_SECONDS = 30;

/** `settings/chatOffers` (apart from the chat deflection settings in `settings/chat`, which an admin saves whole): cached per instance like the other settings; a save here is seen at once here. */
export class FirestoreChatSettings implements ChatSettingsStore {
  private readonly cache: TtlCache<{ offerTimeoutSeconds: number }>;

  constructor(
    private readonly db: Firestore,
    cacheTtlMs: number,
    clock: Clock,
  ) {
    this.cache = new TtlCache(cacheTtlMs, clock);
  }

  read(): Promise<{ offerTimeoutSeconds: number }> {
    return this.cache.get('chat', async () => {
      const stored: unknown = (await this.db.doc('settings/chatOffers').get()).get('offerTimeoutSeconds');
      return {
        offerTimeoutSeconds:
          typeof stored === 'number' && Number.isInteger(stored) && stored > 0
            ? stored
            : DEFAULT_OFFER_TIMEOUT_SECONDS,
      };
    });
  }

  async save(settings: { offerTimeoutSeconds: number }, by: { uid: string }, at: Date): Promise<void> {
    await this.db.doc('settings/chatOffers').set({
      offerTimeoutSeconds: settings.offerTimeoutSeconds,
      updatedBy: by.uid,
      updatedAt: at.toISOString(),
    });
    this.cache.forget('chat');
  }
}

/** The wrap-up reasons: few (an admin's list), so read whole and searched in memory. */
export const MAX_WRAP_UP_REASONS = 200;

export class FirestoreWrapUpReasons implements WrapUpReasonStore {
  constructor(private readonly db: Firestore) {}

  async list(): Promise<WrapUpReason[]> {
    const snapshot = await this.db.collection('wrapUpReasons').limit(MAX_WRAP_UP_REASONS).get();
    return snapshot.docs.map((d) => ({ id: d.id, label: d.get('label') as string }));
  }

  async get(id: string): Promise<WrapUpReason | undefined> {
    const snapshot = await this.db.collection('wrapUpReasons').doc(id).get();
    return snapshot.exists ? { id, label: snapshot.get('label') as string } : undefined;
  }

  save(reason: WrapUpReason): Promise<{ created: boolean }> {
    return this.db.runTransaction(async (t) => {
      const ref = this.db.collection('wrapUpReasons').doc(reason.id);
      const exists = (await t.get(ref)).exists;
      if (!exists) {
        const count = (await t.get(this.db.collection('wrapUpReasons').count())).data().count;
        if (count >= MAX_WRAP_UP_REASONS) throw tooManyReasons();
      }
      t.set(ref, { label: reason.label });
      return { created: !exists };
    });
  }

  async delete(id: string): Promise<boolean> {
    const ref = this.db.collection('wrapUpReasons').doc(id);
    return this.db.runTransaction(async (t) => {
      const exists = (await t.get(ref)).exists;
      if (exists) t.delete(ref);
      return exists;
    });
  }
}

const tooManyReasons = () =>
  conflict(
    'too_many_wrap_up_reasons',
    `There are already ${MAX_WRAP_UP_REASONS} wrap-up reasons; delete one first.`,
  );
