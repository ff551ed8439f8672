import type { PrivacySettings } from '../domain/privacy/settings.js';

/** The company's privacy settings, `settings/privacy`: read on every agent-visible write, saved by admins. */
export interface PrivacySettingsStore {
  read(): Promise<PrivacySettings>;
  save(settings: PrivacySettings, by: { uid: string }, at: Date): Promise<void>;
}
