import type { Actor } from '../../domain/access/permissions.js';
import { conflict, notFound } from '../../domain/errors.js';
import {
  tonesInUse,
  whisperQueueProblem,
  type CallNotifications,
  type ChatNotifications,
  type NotificationConfig,
  type QueueWhisper,
} from '../../domain/notifications/settings.js';
import type { DeflectionConfig } from '../../domain/deflection/settings.js';
import { savedConfig } from '../deflection/settings.js';
import { audit } from '../admin/directory.js';
import { authorizeOrThrow } from '../supervision/deps.js';
import type { NotificationDeps } from './deps.js';

/**
 * Agent notification settings (NOT-1, NOT-2, NOT-3), edited with `Settings-Edit`: each section is saved
 * whole, only if the configuration it makes is valid; otherwise a 400 lists every problem and nothing
 * is written.
 */

/** Each queue's channels, by id (a Map: the ids come from callers). */
const channelsOf = (config: DeflectionConfig): Map<string, readonly string[]> =>
  new Map(Object.entries(config.queues).map(([id, queue]) => [id, queue.channels]));

/** The store refuses a save naming a tone the library does not hold: no check of the caller's own. */
const noOtherIssues = () => [];

/*
 * Each save is audited after it is written (who, when, which section, never its values). Saving the
 * same value again writes nothing, so a request retried after the audit failed saves nothing and
 * audits again: a change is never left unaudited.
 */

export async function saveCallNotifications(deps: NotificationDeps, actor: Actor, value: CallNotifications) {
  authorizeOrThrow(actor, { type: 'settings.edit' });
  const version = await deps.settings.save({ section: 'calls', value }, noOtherIssues);
  await audit(deps, actor, 'notification_settings.changed', { type: 'settings', id: 'notificationCalls' });
  return { version };
}

export async function saveChatNotifications(deps: NotificationDeps, actor: Actor, value: ChatNotifications) {
  authorizeOrThrow(actor, { type: 'settings.edit' });
  const version = await deps.settings.save({ section: 'chats', value }, noOtherIssues);
  await audit(deps, actor, 'notification_settings.changed', { type: 'settings', id: 'notificationChats' });
  return { version };
}

/**
 * A queue's whisper announcement, for a queue of the queue directory that takes IVR, mobile or web
 * calls (NOT-3): 404 for a queue that does not exist, 409 `not_configured` while the deflection settings
 * are not set up. The queue is looked up before the save, not in its
 * transaction: a queue deleted meanwhile leaves an orphaned whisper, which is ignored (see
 * `whisperQueueProblem`).
 */
export async function saveQueueWhisper(
  deps: NotificationDeps,
  actor: Actor,
  queueId: string,
  value: QueueWhisper,
) {
  authorizeOrThrow(actor, { type: 'settings.edit' });
  // Until the deflection settings are whole, which queues exist is not known: 409, not a false 404.
  const problem = whisperQueueProblem(channelsOf(await savedConfig(deps.queues, actor)).get(queueId));
  if (problem === 'unknown_queue') throw notFound(`The queue ${queueId}`);
  // Listed with any tone the library misses, which the store adds: every problem in one 400.
  const version = await deps.settings.save({ section: 'queueWhisper', queueId, value }, () =>
    problem === 'not_a_call_queue'
      ? [
          {
            path: `queues.${queueId}`,
            code: problem,
            message: `The queue ${queueId} takes no IVR, mobile or web calls: there is no call to announce.`,
          },
        ]
      : [],
  );
  await audit(deps, actor, 'queue_whisper.changed', { type: 'queue', id: queueId });
  return { version };
}

/** The global whisper applies again to the queue's calls. Removing a whisper that is not there changes nothing. */
export async function deleteQueueWhisper(deps: NotificationDeps, actor: Actor, queueId: string) {
  authorizeOrThrow(actor, { type: 'settings.edit' });
  const version = await deps.settings.save({ section: 'queueWhisperDeleted', queueId }, () => {});
  await audit(deps, actor, 'queue_whisper.removed', { type: 'queue', id: queueId });
  return { version };
}

/**
 * Every section as it applies (the defaults for one never saved), each queue's whisper with whether
 * it is orphaned, and the tone library with where each tone is used.
 */
export async function readNotificationSettings(deps: NotificationDeps, actor: Actor) {
  authorizeOrThrow(actor, { type: 'settings.edit' });
  const [{ config, tones, version }, queues] = await Promise.all([deps.settings.load(), deps.queues.load()]);
  // Until the deflection settings are whole, no whisper is known to be orphaned.
  const channels = queues.config && channelsOf(queues.config);
  const uses = tonesInUse(config);
  return {
    calls: config.calls,
    chats: config.chats,
    queues: [...config.queues].map(([queueId, whisper]) => {
      const orphaned = channels && whisperQueueProblem(channels.get(queueId));
      return { queueId, whisper, ...(orphaned ? { orphaned } : {}) };
    }),
    tones: [...tones.values()].map((tone) => ({
      id: tone.id,
      name: tone.name,
      sizeBytes: tone.sizeBytes,
      durationMs: tone.durationMs,
      uploadedAt: tone.uploadedAt,
      uploadedBy: tone.uploadedBy,
      usedBy: uses.get(tone.id) ?? [],
    })),
    version,
  };
}

/**
 * A tone in use cannot be deleted (NOT-4): the admin chooses another tone first, so that no setting is
 * left naming audio that is gone. Refused with a 409 naming every setting that uses it; the store asks
 * this of the very configuration the removal commits against, so a save naming the tone cannot slip in
 * between.
 */
export function refuseIfToneInUse(config: NotificationConfig, toneId: string): void {
  const paths = tonesInUse(config).get(toneId);
  if (paths === undefined) return;
  throw conflict(
    'tone_in_use',
    `The tone ${toneId} cannot be deleted while these settings use it: ${paths.join(', ')}.`,
    { paths },
  );
}
