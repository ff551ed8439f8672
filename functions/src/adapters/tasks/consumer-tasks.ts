import { createHash } from 'node:crypto';
import type { ConsumerTasks } from '../../ports/consumers.js';
import { CloudTasksRecordingTasks } from './recording-tasks.js';

const digest = (...parts: string[]) =>
  createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 40);

/**
 * Anonymous consumers' CRM work goes through the recordings queue to the same worker: the one
 * function that holds the CRM's credentials, with the CRM retry schedule (REC-2) already set on that
 * queue. Tasks are named by what they do (ids may hold characters a task name cannot, so they are
 * hashed): a second request for the same ticket, or the same version of a merge, is the same task.
 */
export class CloudTasksConsumerTasks extends CloudTasksRecordingTasks implements ConsumerTasks {
  async enqueueTicket(task: { consumerKey: string; sessionId: string }): Promise<void> {
    await this.create(
      `ticket-${digest(task.consumerKey, task.sessionId)}`,
      '/v1/tasks/consumer-ticket',
      task,
    );
  }

  async enqueueMerge(task: { mergeId: string; version: number }): Promise<void> {
    if (!Number.isSafeInteger(task.version) || task.version < 1)
      throw new RangeError(`version must be a positive count, not ${task.version}`);
    await this.create(`merge-${digest(task.mergeId)}-v${task.version}`, '/v1/tasks/consumer-merge', task);
  }
}
