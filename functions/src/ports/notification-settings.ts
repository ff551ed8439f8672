import type {
  CallNotifications,
  ChatNotifications,
  CustomTone,
  NotificationConfig,
  NotificationIssue,
  QueueWhisper,
} from '../domain/notifications/settings.js';

/** The sections an admin saves one at a time; a save replaces the stored section with exactly what was checked. */
export type NotificationSection =
  | { section: 'calls'; value: CallNotifications }
  | { section: 'chats'; value: ChatNotifications }
  | { section: 'queueWhisper'; queueId: string; value: QueueWhisper }
  /** Nothing to remove is no error, so that a retry changes nothing. */
  | { section: 'queueWhisperDeleted'; queueId: string };

export interface VersionedNotifications {
  /** The defaults for a section never saved. */
  config: NotificationConfig;
  /** The tone library, by id. */
  tones: ReadonlyMap<string, CustomTone>;
  version: number;
}

/**
 * The notification settings and the tone library, kept together so that a save naming a tone and the
 * deletion of that tone cannot both succeed: each is one transaction over both.
 */
export interface NotificationSettingsStore {
  /** One consistent version: every document as of one instant. */
  load(): Promise<VersionedNotifications>;
  /**
   * Atomically: reads the configuration and the library, applies `change`, lets `check` refuse the
   * result (by throwing, or by returning problems), then writes the section and a new version — or
   * nothing. The problems `check` returns are refused in one 400 together with every tone the result
   * names that the library does not hold, which the store checks itself.
   */
  save(
    change: NotificationSection,
    check: (next: NotificationConfig, tones: ReadonlyMap<string, CustomTone>) => NotificationIssue[] | void,
  ): Promise<number>;
  /**
   * Adds a tone, or replaces the one with its id (settings using it then play the new audio), unless
   * `check` refuses (by throwing) given the library as the write commits against it; returns the one
   * replaced.
   */
  putTone(
    tone: CustomTone,
    check?: (tones: ReadonlyMap<string, CustomTone>) => void,
  ): Promise<{ version: number; replaced: CustomTone | undefined }>;
  /**
   * Removes a tone, unless `check` refuses (by throwing) given the configuration that uses it; returns
   * the tone removed, undefined when there was none (a retry).
   */
  removeTone(
    toneId: string,
    check: (config: NotificationConfig) => void,
  ): Promise<{ version: number; removed: CustomTone | undefined }>;
  /** Calls back with each new version; returns a function that stops watching. */
  watchVersion(onVersion: (version: number) => void): () => void;
}
