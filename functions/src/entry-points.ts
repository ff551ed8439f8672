import type { FunctionName } from './config.js';

/**
 * Each function's own module (functions/): importing one checks that function's configuration and
 * registers it, loading only what it serves. Each function is deployed on its own (infra/functions.tf).
 */
export const FUNCTION_ENTRIES: ReadonlyMap<FunctionName, () => Promise<unknown>> = new Map<
  FunctionName,
  () => Promise<unknown>
>([
  ['platformEvents', () => import('./functions/platform-events.js')],
  ['platformEventsPubSub', () => import('./functions/platform-events-pubsub.js')],
  ['api', () => import('./functions/api.js')],
  ['recordingReady', () => import('./functions/recording-ready.js')],
  ['recordingWorker', () => import('./functions/recording-worker.js')],
  ['sweeper', () => import('./functions/sweeper.js')],
]);
