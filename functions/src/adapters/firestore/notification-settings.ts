import { isDeepStrictEqual } from 'node:util';
import type {
  DocumentSnapshot,
  Firestore,
  QuerySnapshot,
  Timestamp,
  WriteBatch,
} from '@google-cloud/firestore';
import { invalidRequest, unavailable, zodIssues } from '../../domain/errors.js';
import {
  CallNotifications,
  ChatNotifications,
  CustomToneRecord,
  DEFAULT_CALL_NOTIFICATIONS,
  DEFAULT_CHAT_NOTIFICATIONS,
  missingToneIssues,
  QueueWhisper,
  type CustomTone,
  type NotificationConfig,
  type NotificationIssue,
  type ToneChoice,
} from '../../domain/notifications/settings.js';
import { Identifier } from '../../domain/sessions/events.js';
import type { Clock } from '../../ports/clock.js';
import { retryLostRaces } from './optimistic-retry.js';
import type {
  NotificationSection,
  NotificationSettingsStore,
  VersionedNotifications,
} from '../../ports/notification-settings.js';

/**
 * `settings/notificationCalls`, `settings/notificationChats`, `queueWhispers/{queueId}`, the tone
 * library `notificationTones/{toneId}`, and `settings/notificationsVersion`.
 *
 * The library lives beside the settings, not in the tones bucket's metadata, so that one commit covers
 * both. Every write reads everything in one snapshot and commits only if the version document is still
 * the one it read, bumping it: whatever else two writes touch, only one of two that read the same
 * version commits, so a save naming a tone and the removal of that tone never both succeed, and every
 * instance learns of each change from one listener.
 *
 * Each document is one section exactly as its schema gave it; a save replaces the whole document.
 */
const CALLS_DOC = 'settings/notificationCalls';
const CHATS_DOC = 'settings/notificationChats';
const VERSION_DOC = 'settings/notificationsVersion';
const WHISPERS = 'queueWhispers';
const TONES = 'notificationTones';

interface RawDocs {
  calls: unknown;
  chats: unknown;
  whispers: [string, unknown][];
  tones: [string, unknown][];
}

/** Stored tones, each decoded on its own: one that does not decode, or is filed under another id, is left out. */
function decodeTones(entries: [string, unknown][]): Map<string, CustomTone> {
  const tones = new Map<string, CustomTone>();
  for (const [id, data] of entries) {
    const tone = CustomToneRecord.safeParse(data);
    if (tone.success && tone.data.id === id) tones.set(id, tone.data);
  }
  return tones;
}

/**
 * The configuration the documents make. What does not decode is never trusted: a section falls back to
 * its defaults, a queue's whisper is left out (the global whisper applies), and so is a choice of a tone
 * the library does not hold (the section's built-in tone applies). Saves never leave such a choice
 * behind; only a document written by other means can.
 */
function decodeConfig(raw: RawDocs, tones: ReadonlyMap<string, CustomTone>): NotificationConfig {
  const held = (choice: ToneChoice, fallback: ToneChoice) =>
    choice.type === 'custom' && !tones.has(choice.toneId) ? fallback : choice;
  const calls = CallNotifications.safeParse(raw.calls);
  const chats = ChatNotifications.safeParse(raw.chats);
  const callsSection = calls.success ? calls.data : DEFAULT_CALL_NOTIFICATIONS;
  const chatsSection = chats.success ? chats.data : DEFAULT_CHAT_NOTIFICATIONS;
  const queues = new Map<string, QueueWhisper>();
  for (const [queueId, data] of raw.whispers) {
    const whisper = QueueWhisper.safeParse(data);
    if (!whisper.success || !Identifier.safeParse(queueId).success) continue;
    const announcement = whisper.data.announcement;
    if (announcement.type === 'recording' && !tones.has(announcement.toneId)) continue;
    queues.set(queueId, whisper.data);
  }
  return {
    calls: {
      ...callsSection,
      incomingCallTone: held(callsSection.incomingCallTone, DEFAULT_CALL_NOTIFICATIONS.incomingCallTone),
    },
    chats: {
      ...chatsSection,
      newChatTone: held(chatsSection.newChatTone, DEFAULT_CHAT_NOTIFICATIONS.newChatTone),
      newMessageTone: held(chatsSection.newMessageTone, DEFAULT_CHAT_NOTIFICATIONS.newMessageTone),
    },
    queues,
  };
}

const SCHEMAS = { calls: CallNotifications, chats: ChatNotifications, queueWhisper: QueueWhisper } as const;

type SectionWrite = Exclude<NotificationSection, { section: 'queueWhisperDeleted' }>;

/** The section to write, as its schema outputs it: what is stored is what the schema gives, also for a value a caller built. */
function resolve(change: SectionWrite): SectionWrite {
  const issues = [];
  if (change.section === 'queueWhisper') {
    const queueId = Identifier.safeParse(change.queueId);
    if (!queueId.success) issues.push(...zodIssues(queueId.error).map((i) => ({ ...i, path: 'queueId' })));
  }
  const parsed = SCHEMAS[change.section].safeParse(change.value);
  if (!parsed.success) issues.push(...zodIssues(parsed.error));
  if (!parsed.success || issues.length > 0) throw invalidRequest('These settings are not valid.', issues);
  return { ...change, value: parsed.data } as SectionWrite;
}

/** The section's document as stored, undefined when there is none. */
function storedSection(stored: RawDocs, change: SectionWrite): unknown {
  if (change.section === 'calls') return stored.calls;
  if (change.section === 'chats') return stored.chats;
  return stored.whispers.find(([id]) => id === change.queueId)?.[1];
}

function applyChange(config: NotificationConfig, change: NotificationSection): NotificationConfig {
  switch (change.section) {
    case 'calls':
      return { ...config, calls: change.value };
    case 'chats':
      return { ...config, chats: change.value };
    case 'queueWhisper':
      return { ...config, queues: new Map([...config.queues, [change.queueId, change.value]]) };
    case 'queueWhisperDeleted': {
      const queues = new Map(config.queues);
      queues.delete(change.queueId);
      return { ...config, queues };
    }
  }
}

/** What one consistent read found, with the version document's update time to write against. */
interface StoreState {
  config: NotificationConfig;
  tones: Map<string, CustomTone>;
  version: number;
  /** Null when no version was ever written. */
  versionTime: Timestamp | null;
  stored: RawDocs;
}

/**
 * The stored version; 0 for one that is not a positive safe integer, the same for loads and watchers
 * (a NaN would never compare as newer, and the plan cache would stop reloading).
 */
function versionOf(snapshot: DocumentSnapshot): number {
  const version = Number(snapshot.get('version') ?? 0);
  return Number.isSafeInteger(version) && version > 0 ? version : 0;
}

const RETRIES = {
  maxAttempts: 20,
  maxBackoffMs: 500,
  whenExhausted: () => unavailable('The notification settings are busy; retry shortly.'),
};

export class FirestoreNotificationSettings implements NotificationSettingsStore {
  constructor(
    private readonly db: Firestore,
    private readonly clock: Clock,
  ) {}

  /** Every document in one read-only transaction: one snapshot, so one version, never a mix. */
  private read(): Promise<StoreState> {
    return this.db.runTransaction(
      async (t) => {
        const [calls, chats, whispers, tones, version] = await Promise.all([
          t.get(this.db.doc(CALLS_DOC)),
          t.get(this.db.doc(CHATS_DOC)),
          t.get(this.db.collection(WHISPERS)),
          t.get(this.db.collection(TONES)),
          t.get(this.db.doc(VERSION_DOC)),
        ] as const);
        const entries = (snapshot: QuerySnapshot) =>
          snapshot.docs.map((d) => [d.id, d.data()] as [string, unknown]);
        const stored: RawDocs = {
          calls: (calls as DocumentSnapshot).data(),
          chats: (chats as DocumentSnapshot).data(),
          whispers: entries(whispers as QuerySnapshot),
          tones: entries(tones as QuerySnapshot),
        };
        const library = decodeTones(stored.tones);
        const versionDoc = version as DocumentSnapshot;
        return {
          config: decodeConfig(stored, library),
          tones: library,
          version: versionOf(versionDoc),
          versionTime: versionDoc.updateTime ?? null,
          stored,
        };
      },
      { readOnly: true },
    );
  }

  /**
   * Reads, then commits what `attempt` writes together with the next version, only if the version
   * document is unchanged since the read: any other write in between lost this one the race, and it
   * runs again on what that write left. Read-write transactions would lock instead, and two writers
   * that read the same documents wait on each other (on the emulator, seconds per conflict).
   */
  private write<T>(
    attempt: (state: StoreState) => { writes?: (batch: WriteBatch) => void; answer: (version: number) => T },
  ): Promise<T> {
    return retryLostRaces(async () => {
      const state = await this.read();
      const { writes, answer } = attempt(state);
      if (!writes) return answer(state.version);
      const batch = this.db.batch();
      writes(batch);
      const version = state.version + 1;
      const next = { version, updatedAt: this.clock.now() };
      const ref = this.db.doc(VERSION_DOC);
      if (state.versionTime === null) batch.create(ref, next);
      else batch.update(ref, next, { lastUpdateTime: state.versionTime });
      await batch.commit();
      return answer(version);
    }, RETRIES);
  }

  async load(): Promise<VersionedNotifications> {
    const { config, tones, version } = await this.read();
    return { config, tones, version };
  }

  async save(
    change: NotificationSection,
    check: (next: NotificationConfig, tones: ReadonlyMap<string, CustomTone>) => NotificationIssue[] | void,
  ): Promise<number> {
    const write = change.section === 'queueWhisperDeleted' ? change : resolve(change);
    const asVersion = (version: number) => version;
    return this.write(({ config, tones, stored }) => {
      if (write.section === 'queueWhisperDeleted') {
        // A retry of a removal, or a removal of nothing, writes nothing.
        if (!stored.whispers.some(([id]) => id === write.queueId)) return { answer: asVersion };
        check(applyChange(config, write), tones);
        const ref = this.db.collection(WHISPERS).doc(write.queueId);
        return { writes: (batch) => batch.delete(ref), answer: asVersion };
      }
      const next = applyChange(config, write);
      // Whatever the caller checked, the store never names a tone it does not hold; the commit is
      // conditional on the library as read here, so the tone cannot be removed in between.
      const issues = [...(check(next, tones) ?? []), ...missingToneIssues(next, tones)];
      if (issues.length > 0) throw invalidRequest('These notification settings cannot be saved.', issues);
      // The same section again (a retried request) writes nothing, so it makes no new version for
      // every instance to reload.
      if (isDeepStrictEqual(storedSection(stored, write), write.value)) return { answer: asVersion };
      const ref =
        write.section === 'queueWhisper'
          ? this.db.collection(WHISPERS).doc(write.queueId)
          : this.db.doc(write.section === 'calls' ? CALLS_DOC : CHATS_DOC);
      return { writes: (batch) => batch.set(ref, write.value), answer: asVersion };
    });
  }

  async putTone(
    tone: CustomTone,
    check: (tones: ReadonlyMap<string, CustomTone>) => void = () => {},
  ): Promise<{ version: number; replaced: CustomTone | undefined }> {
    const parsed = CustomToneRecord.safeParse(tone);
    if (!parsed.success) throw invalidRequest('This tone is not valid.', zodIssues(parsed.error));
    const ref = this.db.collection(TONES).doc(parsed.data.id);
    return this.write(({ tones }) => {
      check(tones);
      return {
        writes: (batch) => batch.set(ref, parsed.data),
        answer: (version) => ({ version, replaced: tones.get(parsed.data.id) }),
      };
    });
  }

  removeTone(
    toneId: string,
    check: (config: NotificationConfig) => void,
  ): Promise<{ version: number; removed: CustomTone | undefined }> {
    return this.write(({ config, tones, stored }) => {
      // A document that does not decode is no tone, but it is removed all the same: nothing is left behind.
      if (!stored.tones.some(([id]) => id === toneId))
        return { answer: (version) => ({ version, removed: undefined }) };
      check(config);
      const ref = this.db.collection(TONES).doc(toneId);
      return {
        writes: (batch) => batch.delete(ref),
        answer: (version) => ({ version, removed: tones.get(toneId) }),
      };
    });
  }

  watchVersion(onVersion: (version: number) => void): () => void {
    return this.db.doc(VERSION_DOC).onSnapshot(
      (snapshot) => onVersion(versionOf(snapshot)),
      () => {
        /* the cache falls back to its time limit */
      },
    );
  }
}
