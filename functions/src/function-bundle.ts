import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import vm from 'node:vm';
import { logs } from './log.js';

/**
 * How a deployed function runs its code: one CommonJS bundle per function (scripts/build.ts), compiled
 * with the V8 code cache the build made for it beside the bundle (`<bundle>.code-cache`), so that a
 * cold start deserializes compiled code instead of parsing and compiling some 300 to 560 KB of ours
 * and zod's. V8 rejects a cache made by another V8 version or under other V8 flags, and then compiles
 * the source as if there were none; the build runs on the deployed runtime (gcp-build) with each
 * function's V8 flags, so that the two match.
 *
 * V8 checks neither the cache's integrity (a damaged cache can crash the process) nor that it was
 * made from this very source (only its length): the cache is sealed with a digest of the source and
 * the cache together, and a cache whose seal does not match is not given to V8 at all.
 */
export interface CompiledBundle {
  /** Runs the bundle as a CommonJS module, whose `require` resolves from the bundle's folder. */
  run(): void;
  /** Whether a cache was given and not used: its seal did not match, or V8 rejected it. */
  cacheRejected: boolean;
  /** The sealed code cache of everything compiled so far, to be written to `codeCacheOf(bundle)`. */
  codeCache(): Buffer;
}

/** Node's CommonJS wrapper: the bundle's source is compiled as the body of a module function. */
const wrap = (source: string) => `(function (exports, require, module, __filename, __dirname) {${source}\n})`;

export const codeCacheOf = (bundle: string) => `${bundle}.code-cache`;

const SEAL_BYTES = 32;
const sealOf = (source: string, cachedData: Uint8Array) =>
  createHash('sha256').update(source).update(cachedData).digest();

/** `sealed`'s cache if its seal is that of `source` and the cache, else nothing. */
function unseal(source: string, sealed: Buffer): Buffer | undefined {
  if (sealed.length <= SEAL_BYTES) return undefined;
  const cachedData = sealed.subarray(SEAL_BYTES);
  return sealOf(source, cachedData).equals(sealed.subarray(0, SEAL_BYTES)) ? cachedData : undefined;
}

export function compileBundle(bundle: string, sealedCache?: Buffer): CompiledBundle {
  const source = wrap(readFileSync(bundle, 'utf8'));
  const cachedData = sealedCache && unseal(source, sealedCache);
  const script = new vm.Script(source, { filename: bundle, ...(cachedData ? { cachedData } : {}) });
  return {
    cacheRejected:
      sealedCache !== undefined && (cachedData === undefined || script.cachedDataRejected === true),
    run() {
      const module = { exports: {} };
      const body = script.runInThisContext() as (...args: unknown[]) => void;
      body.call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
    },
    codeCache() {
      const cachedData = script.createCachedData();
      return Buffer.concat([sealOf(source, cachedData), cachedData]);
    },
  };
}

/**
 * Runs a function's bundle, with its code cache when there is one. A rejected cache still serves, compiled from source, and is logged: it
 * means slower cold starts, and a build made on another runtime, or with other flags, than deployed.
 */
export function runFunctionBundle(bundle: string): void {
  const cache = codeCacheOf(bundle);
  const compiled = compileBundle(bundle, existsSync(cache) ? readFileSync(cache) : undefined);
  if (compiled.cacheRejected) logs.codeCacheRejected({ bundle: bundle.split(/[\\/]/).pop() ?? bundle });
  compiled.run();
}
