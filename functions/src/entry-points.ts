import type { FunctionName } from './config.js';

/**
 * Each function's own module (functions/), relative to this folder: loading one checks that
 * function's configuration and registers it, loading only what it serves. Each function is deployed
 * on its own (infra/functions.tf). The deployed main runs the module's bundle, built beside where the
 * module would be (`<module>.cjs`, scripts/build.ts); the local stack imports the module itself.
 */
export const FUNCTION_MODULES: ReadonlyMap<FunctionName, string> = new Map<FunctionName, string>([
  ['platformEvents', './functions/platform-events.js'],
  ['platformEventsPubSub', './functions/platform-events-pubsub.js'],
  ['api', './functions/api.js'],
  ['recordingReady', './functions/recording-ready.js'],
  ['recordingWorker', './functions/recording-worker.js'],
  ['sweeper', './functions/sweeper.js'],
  ['mediaReady', './functions/media-ready.js'],
]);

/** The module of the function named `target`, or nothing when no function has that name. */
export const functionModuleOf = (target: string): string | undefined =>
  [...FUNCTION_MODULES].find(([name]) => name === target)?.[1];
