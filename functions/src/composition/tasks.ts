import { CloudTasksCrmTasks } from '../adapters/tasks/voicemail-tasks.js';
import type { RecordingsSettings } from '../config.js';

/**
 * The recordings queue, for every function that asks for CRM work to be done: recordings, and
 * anonymous consumers' tickets and merges, voicemails for the CRM.
 */
export function recordingTasks(r: RecordingsSettings): CloudTasksCrmTasks {
  return new CloudTasksCrmTasks({
    queue: r.queue,
    workerUrl: r.workerUrl,
    serviceAccountEmail: r.tasksServiceAccount,
    ...(r.tasksEmulatorHost ? { emulatorHost: r.tasksEmulatorHost } : {}),
  });
}
