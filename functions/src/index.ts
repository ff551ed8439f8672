import { join } from 'node:path';
import { FUNCTION_MODULES, functionModuleOf } from './entry-points.js';
import { runFunctionBundle } from './function-bundle.js';

/**
 * The package's main, which the functions framework loads in every deployed function: it runs the
 * bundle of the one function the runtime serves (FUNCTION_TARGET, the deployed entry point) and
 * nothing of the others, so that a cold start loads only what that function needs. It is built as
 * a CommonJS module (scripts/build.ts), as is everything it loads: the framework `require`s it, and
 * Node's ES-module loader would cost a cold start tens of milliseconds more. `__dirname` is the
 * build's folder, where each function's bundle is.
 */
const target = process.env.FUNCTION_TARGET ?? '';
const module = functionModuleOf(target);
if (!module)
  throw new Error(
    `FUNCTION_TARGET must name one of the functions (${[...FUNCTION_MODULES.keys()].join(', ')}), not "${target}"`,
  );
runFunctionBundle(join(__dirname, module.replace(/\.js$/, '.cjs')));
