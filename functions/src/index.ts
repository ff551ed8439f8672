import { FUNCTION_ENTRIES } from './entry-points.js';

/**
 * The package's main, which the functions framework loads in every deployed function: it imports the
 * module of the one function the runtime serves (FUNCTION_TARGET, the deployed entry point) and
 * nothing of the others, so that a cold start loads only what that function needs.
 */
const target = process.env.FUNCTION_TARGET ?? '';
const entry = [...FUNCTION_ENTRIES].find(([name]) => name === target)?.[1];
if (!entry)
  throw new Error(
    `FUNCTION_TARGET must name one of the functions (${[...FUNCTION_ENTRIES.keys()].join(', ')}), not "${target}"`,
  );
await entry();
