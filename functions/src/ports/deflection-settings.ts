import type { DeflectionConfig } from '../domain/deflection/settings.js';

/** The sections an admin saves one at a time; each save is checked against the whole. */
export type SettingsSection =
  | { section: 'supportCenter'; value: DeflectionConfig['supportCenter'] }
  | { section: 'call'; value: DeflectionConfig['call'] }
  | { section: 'chat'; value: DeflectionConfig['chat'] }
  | { section: 'queue'; id: string; value: DeflectionConfig['queues'][string] }
  | { section: 'language'; tag: string; value: DeflectionConfig['languages'][string] };

export interface VersionedConfig {
  /** Undefined until the support center, call and chat settings have all been saved once. */
  config: DeflectionConfig | undefined;
  version: number;
}

export interface DeflectionSettingsStore {
  load(): Promise<VersionedConfig>;
  /**
   * Atomically: reads the whole configuration, applies `change`, lets `check` refuse the result (by
   * throwing), then writes the section and a new version — or nothing.
   */
  save(change: SettingsSection, check: (next: DeflectionConfig) => void): Promise<number>;
  /** Calls back with each new version; returns a function that stops watching. */
  watchVersion(onVersion: (version: number) => void): () => void;
}
