import type { DeflectionConfig } from '../domain/deflection/settings.js';

/**
 * The sections an admin saves one at a time; each save is checked against the whole, and replaces the
 * stored section with exactly the value that was checked.
 */
export type SettingsSection =
  | { section: 'supportCenter'; value: DeflectionConfig['supportCenter'] }
  | { section: 'call'; value: DeflectionConfig['call'] }
  | { section: 'chat'; value: DeflectionConfig['chat'] }
  | { section: 'queue'; id: string; value: DeflectionConfig['queues'][string] }
  | { section: 'language'; tag: string; value: DeflectionConfig['languages'][string] }
  | { section: 'sipRedirection'; id: string; value: DeflectionConfig['sipRedirections'][string] }
  | { section: 'virtualAgent'; id: string; value: DeflectionConfig['virtualAgents'][string] }
  /**
   * A save of an existing queue's section with only its teams changed, from the queue as stored at the
   * time of the save (so that a concurrent edit of its other fields is not undone).
   */
  | { section: 'queueTeams'; id: string; teamIds: string[] }
  /** A queue removed, with its teams, SIP redirection and virtual agent settings; a 404 when there is no such queue. */
  | { section: 'queueDeleted'; id: string }
  /** A queue's SIP redirection removed; nothing to remove is no error, so a retry changes nothing. */
  | { section: 'sipRedirectionDeleted'; id: string };

export interface VersionedConfig {
  /** Undefined until the support center, call and chat settings have all been saved once. */
  config: DeflectionConfig | undefined;
  version: number;
}

export interface DeflectionSettingsStore {
  /** One consistent version: every document as of one instant, with the version they make. */
  load(): Promise<VersionedConfig>;
  /**
   * Atomically: reads the whole configuration, applies `change`, lets `check` refuse the result (by
   * throwing), then replaces (or deletes) the section and writes a new version — or nothing.
   */
  save(change: SettingsSection, check: (next: DeflectionConfig) => void): Promise<number>;
  /** Calls back with each new version; returns a function that stops watching. */
  watchVersion(onVersion: (version: number) => void): () => void;
}
