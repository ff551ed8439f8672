import type { Actor } from '../../domain/access/permissions.js';
import {
  ownQueueIssues,
  validateDeflectionConfig,
  type DeflectionConfig,
} from '../../domain/deflection/settings.js';
import { ownSipRedirectionIssues, ownVirtualAgentIssues } from '../../domain/deflection/sip-redirection.js';
import { conflict, invalidRequest } from '../../domain/errors.js';
import type { DeflectionSettingsStore, SettingsSection } from '../../ports/deflection-settings.js';
import { authorizeOrThrow } from '../supervision/deps.js';

/**
 * "Set deflection" (AHD-11): a section is saved only if the whole configuration it makes is valid;
 * otherwise a 400 lists every problem and nothing is written.
 */
export async function saveSettings(store: DeflectionSettingsStore, actor: Actor, change: SettingsSection) {
  authorizeOrThrow(actor, { type: 'settings.edit' });
  const own = ownIssues(change);
  if (own.length > 0) throw invalidRequest('These settings cannot be saved.', own);
  const version = await store.save(change, (next) => {
    const issues = validateDeflectionConfig(next);
    if (issues.length > 0) throw invalidRequest('These settings cannot be saved together.', issues);
  });
  return { version };
}

/** The problems a section has on its own, before it is checked with the rest of the configuration. */
function ownIssues(change: SettingsSection) {
  switch (change.section) {
    case 'queue':
      return ownQueueIssues(change.id, change.value);
    case 'sipRedirection':
      return ownSipRedirectionIssues(change.id, change.value);
    case 'virtualAgent':
      return ownVirtualAgentIssues(change.id, change.value);
    default:
      return [];
  }
}

/**
 * An admin deletes a queue: it leaves the configuration in one save (so every instance reloads it and
 * stops routing and transferring to it), refused with a 409 naming every setting that still refers to
 * it (another queue's parent, the IVR option, custom hours), and then nothing is written.
 */
export async function deleteQueueSettings(store: DeflectionSettingsStore, actor: Actor, queueId: string) {
  authorizeOrThrow(actor, { type: 'settings.edit' });
  const version = await store.save({ section: 'queueDeleted', id: queueId }, (next) => {
    const issues = validateDeflectionConfig(next);
    if (issues.length > 0)
      throw conflict(
        'queue_in_use',
        `The queue ${queueId} cannot be deleted while these settings refer to it: ${issues
          .map((i) => i.path)
          .join(', ')}.`,
        { issues },
      );
  });
  return { version };
}

/**
 * The whole deflection configuration, or 409 `not_configured` until the support center, call and chat
 * settings have all been saved: before then no queue can be trusted to exist or not.
 */
export async function savedConfig(store: DeflectionSettingsStore, actor: Actor): Promise<DeflectionConfig> {
  authorizeOrThrow(actor, { type: 'settings.edit' });
  const { config } = await store.load();
  if (!config)
    throw conflict('not_configured', 'Business hours and deflection settings have not been set up yet.');
  return config;
}

export async function readSettings(store: DeflectionSettingsStore, actor: Actor) {
  authorizeOrThrow(actor, { type: 'settings.edit' });
  return store.load();
}
