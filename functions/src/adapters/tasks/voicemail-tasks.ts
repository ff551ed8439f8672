import { createHash } from 'node:crypto';
import type { VoicemailTasks } from '../../ports/voicemails.js';
import { CloudTasksConsumerTasks } from './consumer-tasks.js';

/** Voicemail ids may hold characters a task name cannot (`.`, `:`, `@`): the name carries a digest. */
const nameOf = (voicemailId: string) => createHash('sha256').update(voicemailId).digest('hex').slice(0, 40);

/**
 * Every kind of CRM work on the one queue and worker that hold the CRM's credentials and REC-2's retry
 * schedule: recordings, anonymous consumers, and voicemails. A voicemail has two tasks of the same
 * shape: the delivery, now, and the same task at its purge time (REC-3), named apart.
 */
export class CloudTasksCrmTasks extends CloudTasksConsumerTasks implements VoicemailTasks {
  async enqueueVoicemailDelivery(voicemailId: string): Promise<void> {
    await this.create(`voicemail-${nameOf(voicemailId)}`, '/v1/tasks/voicemail', { voicemailId });
  }

  async scheduleVoicemailPurge(voicemailId: string, at: Date): Promise<void> {
    const ms = at.getTime();
    if (Number.isNaN(ms)) throw new RangeError('scheduleVoicemailPurge needs a valid date');
    await this.create(`voicemail-purge-${nameOf(voicemailId)}`, '/v1/tasks/voicemail', { voicemailId }, ms);
  }

  async scheduleDeliveryAt(voicemailId: string, at: Date): Promise<void> {
    const ms = at.getTime();
    if (Number.isNaN(ms) || ms < 0) throw new RangeError('scheduleDeliveryAt needs a valid date');
    // Due at this second, rounded up: its name and its schedule time agree.
    const seconds = Math.ceil(ms / 1000);
    await this.create(
      `voicemail-${nameOf(voicemailId)}-at${seconds}`,
      '/v1/tasks/voicemail',
      { voicemailId },
      seconds * 1000,
    );
  }
}
