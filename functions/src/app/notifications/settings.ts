import { conflict } from '../../domain/errors.js';
import { tonesInUse, type NotificationConfig } from '../../domain/notifications/settings.js';

/**
 * A tone in use cannot be deleted (NOT-4): the admin chooses another tone first, so that no setting is
 * left naming audio that is gone. Refused with a 409 naming every setting that uses it; the store runs
 * this inside the removal's transaction, so a save naming the tone cannot slip in between.
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
