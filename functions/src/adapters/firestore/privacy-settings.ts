import type { Firestore } from '@google-cloud/firestore';
import { DEFAULT_PRIVACY_SETTINGS, PrivacySettings } from '../../domain/privacy/settings.js';
import type { Clock } from '../../ports/clock.js';
import type { PrivacySettingsStore } from '../../ports/privacy-settings.js';
import { TtlCache } from './cache.js';

/** `settings/privacy`: cached per instance like the other settings; a save here is seen at once here. */
export class FirestorePrivacySettings implements PrivacySettingsStore {
  private readonly cache: TtlCache<PrivacySettings>;

  constructor(
    private readonly db: Firestore,
    cacheTtlMs: number,
    clock: Clock,
  ) {
    this.cache = new TtlCache(cacheTtlMs, clock);
  }

  read(): Promise<PrivacySettings> {
    return this.cache.get('privacy', async () => {
      // Only the setting itself: who saved it and when are stored beside it, for the record. A value
      // that is not a boolean (written by hand) masks: when in doubt, customer data stays hidden.
      const stored: unknown = (await this.db.doc('settings/privacy').get()).get('maskSensitiveData');
      if (stored === undefined) return DEFAULT_PRIVACY_SETTINGS;
      const parsed = PrivacySettings.safeParse({ maskSensitiveData: stored });
      return parsed.success ? parsed.data : { maskSensitiveData: true };
    });
  }

  async save(settings: PrivacySettings, by: { uid: string }, at: Date): Promise<void> {
    await this.db.doc('settings/privacy').set({
      maskSensitiveData: settings.maskSensitiveData,
      updatedBy: by.uid,
      updatedAt: at.toISOString(),
    });
    this.cache.forget('privacy');
  }
}
