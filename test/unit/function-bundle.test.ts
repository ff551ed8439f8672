import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { codeCacheOf, compileBundle, runFunctionBundle } from '../../functions/src/function-bundle.js';
import { configureLogs } from '../../functions/src/log.js';

/**
 * A deployed function's bundle runs from the code cache made at build time when the cache is sound
 * and made from that very bundle, and from its source otherwise, the same either way.
 */
let dir: string;
/** What bundles ran: each appends to it through a CommonJS module beside it. */
let ran: string[];
const logged: string[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'function-bundle-'));
  writeFileSync(join(dir, 'ran.cjs'), 'module.exports = [];');
  ran = createRequire(join(dir, 'ran.cjs'))('./ran.cjs') as string[];
  configureLogs({ sink: (line) => logged.push(line) });
});

afterEach(() => {
  ran.length = 0;
  logged.length = 0;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A bundle that says which it is, where it is, and adds up a few numbers in a function of its own. */
function writeBundle(name: string, says: string): string {
  const bundle = join(dir, `${name}.cjs`);
  writeFileSync(
    bundle,
    `const sum = (values) => values.reduce((a, b) => a + b, 0);
require('./ran.cjs').push(${JSON.stringify(says)} + ' ' + require('node:path').basename(__filename) + ' ' + sum([1, 2, 3]));`,
  );
  return bundle;
}

function makeCache(bundle: string): Buffer {
  const compiled = compileBundle(bundle);
  compiled.run();
  ran.length = 0;
  const cache = compiled.codeCache();
  writeFileSync(codeCacheOf(bundle), cache);
  return cache;
}

describe('a function bundle', () => {
  it('runs as a CommonJS module from its source, with no cache', () => {
    const compiled = compileBundle(writeBundle('plain', 'one'));
    compiled.run();
    expect(compiled.cacheRejected).toBe(false);
    expect(ran).toEqual(['one plain.cjs 6']);
  });

  it('runs from the code cache made from it, the same as from source', () => {
    const bundle = writeBundle('cached', 'one');
    const cache = makeCache(bundle);
    const compiled = compileBundle(bundle, cache);
    compiled.run();
    expect(compiled.cacheRejected).toBe(false);
    expect(ran).toEqual(['one cached.cjs 6']);
  });

  it.each([
    [
      'damaged',
      (cache: Buffer) => Buffer.from(cache.map((byte, i) => (i === cache.length >> 1 ? byte ^ 1 : byte))),
    ],
    ['cut short', (cache: Buffer) => cache.subarray(0, cache.length >> 1)],
    ['empty', () => Buffer.alloc(0)],
    ['made from another bundle', () => makeCache(writeBundle('other', 'two'))],
  ])('runs from its source when its cache is %s, and says the cache was rejected', (_, spoil) => {
    const bundle = writeBundle('spoilt', 'one');
    const spoilt = spoil(makeCache(bundle));
    const compiled = compileBundle(bundle, spoilt);
    compiled.run();
    expect(compiled.cacheRejected).toBe(true);
    expect(ran).toEqual(['one spoilt.cjs 6']);
  });

  it('runs what the bundle says now, not what the cache was made from, when a rebuild kept its length', () => {
    // V8 itself compares only the source's length: without the seal it would run the old code.
    const bundle = writeBundle('rebuilt', 'one');
    const cache = makeCache(bundle);
    writeBundle('rebuilt', 'two');
    const compiled = compileBundle(bundle, cache);
    compiled.run();
    expect(compiled.cacheRejected).toBe(true);
    expect(ran).toEqual(['two rebuilt.cjs 6']);
  });
});

describe("a function's bundle, run by the main", () => {
  it('runs its bundle with its code cache, logging nothing', () => {
    const bundle = writeBundle('served', 'one');
    makeCache(bundle);
    runFunctionBundle(bundle);
    expect(ran).toEqual(['one served.cjs 6']);
    expect(logged).toEqual([]);
  });

  it('runs its bundle without a code cache when there is none, logging nothing', () => {
    const bundle = writeBundle('uncached', 'one');
    runFunctionBundle(bundle);
    expect(ran).toEqual(['one uncached.cjs 6']);
    expect(logged).toEqual([]);
  });

  it('still runs its bundle when its code cache is rejected, and logs the rejection', () => {
    const bundle = writeBundle('rejected', 'one');
    const cache = makeCache(bundle);
    writeFileSync(codeCacheOf(bundle), cache.subarray(0, cache.length - 1));
    runFunctionBundle(bundle);
    expect(ran).toEqual(['one rejected.cjs 6']);
    expect(logged.map((line) => JSON.parse(line) as unknown)).toEqual([
      {
        severity: 'WARNING',
        event: 'code_cache_rejected',
        message: 'Code cache rejected: compiled from source',
        bundle: 'rejected.cjs',
      },
    ]);
    expect(readFileSync(codeCacheOf(bundle)).length).toBe(cache.length - 1);
  });
});
