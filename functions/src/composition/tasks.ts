import { CloudTasksRecordingTasks } from '../adapters/tasks/recording-tasks.js';
import type { RecordingsSettings } from '../config.js';

/** The recordings queue, for every function that asks for recording work to be done. */
export function recordingTasks(r: RecordingsSettings): CloudTasksRecordingTasks {
  return new CloudTasksRecordingTasks({
    queue: r.queue,
    workerUrl: r.workerUrl,
    serviceAccountEmail: r.tasksServiceAccount,
    ...(r.tasksEmulatorHost ? { emulatorHost: r.tasksEmulatorHost } : {}),
  });
}
