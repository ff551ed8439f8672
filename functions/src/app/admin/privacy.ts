import type { Actor } from '../../domain/access/permissions.js';
import type { PrivacySettings } from '../../domain/privacy/settings.js';
import { authorizeOrThrow } from '../supervision/deps.js';
import { audit, type AdminDeps } from './directory.js';

/** "Mask sensitive customer data" (LCH-6), as saved: only those who may edit settings read it here. */
export async function readPrivacySettings(deps: AdminDeps, actor: Actor): Promise<PrivacySettings> {
  authorizeOrThrow(actor, { type: 'settings.edit' });
  return deps.privacy.read();
}

/**
 * Turns masking on or off. Saving the same value again is harmless, so a request retried after a
 * failure saves and audits again: the change is never left unaudited.
 */
export async function savePrivacySettings(
  deps: AdminDeps,
  actor: Actor,
  settings: PrivacySettings,
): Promise<PrivacySettings> {
  authorizeOrThrow(actor, { type: 'settings.edit' });
  await deps.privacy.save(settings, actor, deps.clock.now());
  await audit(deps, actor, 'privacy_settings.changed', { type: 'settings', id: 'privacy' });
  return deps.privacy.read();
}
