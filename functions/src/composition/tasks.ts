import { CloudTasksConsumerTasks } from '../adapters/tasks/consumer-tasks.js';
import type { RecordingsSettings } from '../config.js';

/**
 * The recordings queue, for every function that asks for CRM work to be done: recordings, and
 * anonymous consumers' tickets and merges.
 */
export function recordingTasks(r: RecordingsSettings): CloudTasksConsumerTasks {
  return new CloudTasksConsumerTasks({
    queue: r.queue,
    workerUrl: r.workerUrl,
    serviceAccountEmail: r.tasksServiceAccount,
    ...(r.tasksEmulatorHost ? { emulatorHost: r.tasksEmulatorHost } : {}),
  });
}
