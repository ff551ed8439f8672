import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { entryPointsRequired, helloSource, sdksLoaded } from '../../bench/cold-start.js';

const root = '/srv/app';
const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
const dependencies = [
  '@google-cloud/firestore',
  '@google-cloud/functions-framework',
  '@google-cloud/storage',
  'jsforce',
  'zod',
];
const file = (path: string) => `${root}/node_modules/${path}`;

describe('the cold-start floor of a function', () => {
  it('imports the SDKs whose modules were loaded by the first answer, and no others', () => {
    const recorded = [
      pathToFileURL(file('@google-cloud/firestore/build/src/index.js')).href,
      file('@google-cloud/functions-framework/build/src/main.js'),
      file('google-gax/node_modules/jsforce/index.js'),
      `${root}/functions/lib/index.js`,
      'answered',
      file('@google-cloud/storage/build/cjs/src/index.js'),
      '',
    ].join('\n');
    expect(sdksLoaded(recorded, `${root}/node_modules`, dependencies)).toEqual(['@google-cloud/firestore']);
  });

  it('tells a package from another whose name it begins', () => {
    const recorded = [file('jsforce-extra/index.js'), file('@google-cloud/storage/a.js'), 'answered'].join(
      '\n',
    );
    expect(sdksLoaded(recorded, `${root}/node_modules`, dependencies)).toEqual(['@google-cloud/storage']);
  });
});

describe('the like-for-like floor of a function', () => {
  const bundle = `${root}/functions/lib/functions/api.cjs`;
  const required = (by: string, id: string) => `required\t${by}\t${id}`;

  it('requires the packages the bundle required by the first answer, as it asked for them, in its order', () => {
    const recorded = [
      required(file('@google-cloud/functions-framework/build/src/main.js'), 'express'),
      required(bundle, '@google-cloud/functions-framework'),
      required(bundle, 'node:crypto'),
      required(bundle, 'fs'),
      required(bundle, '@google-cloud/firestore'),
      required(file('@google-cloud/firestore/build/src/index.js'), 'google-gax'),
      required(bundle, '@google-cloud/firestore'),
      required(bundle, './chunk.cjs'),
      file('@google-cloud/firestore/build/src/index.js'),
      'answered',
      required(bundle, '@google-cloud/tasks'),
      '',
    ].join('\n');
    expect(entryPointsRequired(recorded)).toEqual([
      '@google-cloud/functions-framework',
      '@google-cloud/firestore',
    ]);
  });

  it('refuses a recording where our code imported a package as an ES module', () => {
    const recorded = [
      `imported\t${pathToFileURL(`${root}/functions/lib/index.js`).href}\t./functions/api.js`,
      `imported\t${pathToFileURL(`${root}/functions/lib/index.js`).href}\t@google-cloud/storage`,
      `imported\t${pathToFileURL(file('@google-cloud/storage/build/esm/src/index.js')).href}\tgaxios`,
      'answered',
    ].join('\n');
    expect(() => entryPointsRequired(recorded)).toThrow(/@google-cloud\/storage as ES modules/);
    expect(() => entryPointsRequired(recorded.replace(/^.*\t@google-cloud\/storage\n/m, ''))).not.toThrow();
  });

  it('is a CommonJS hello requiring them, where the ES-module floor imports them, each registering hello', () => {
    // A package published in both forms, as @google-cloud/storage is: which one a hello loads shows how it loaded it.
    const dir = mkdtempSync(join(tmpdir(), 'cold-start-floor-'));
    try {
      const dual = join(dir, 'node_modules/dual');
      mkdirSync(dual, { recursive: true });
      writeFileSync(
        join(dual, 'package.json'),
        JSON.stringify({ name: 'dual', exports: { import: './esm.mjs', require: './cjs.cjs' } }),
      );
      writeFileSync(join(dual, 'esm.mjs'), "globalThis.loadedAs = 'an ES module';\n");
      writeFileSync(join(dual, 'cjs.cjs'), "globalThis.loadedAs = 'CommonJS';\n");
      symlinkSync(join(repo, 'node_modules/@google-cloud'), join(dir, 'node_modules/@google-cloud'), 'dir');
      const loadedBy = (as: 'import' | 'require') => {
        const hello = join(dir, as);
        mkdirSync(hello);
        const type = as === 'import' ? 'module' : 'commonjs';
        writeFileSync(join(hello, 'package.json'), JSON.stringify({ type, main: 'index.js' }));
        writeFileSync(join(hello, 'index.js'), helloSource({ as, modules: ['dual'] }));
        const check = `await import(${JSON.stringify(pathToFileURL(join(hello, 'index.js')).href)});
const { createRequire } = await import('node:module');
createRequire(${JSON.stringify(join(hello, 'index.js'))})('@google-cloud/functions-framework/testing').getTestServer('hello');
console.log(globalThis.loadedAs);`;
        return execFileSync(process.execPath, ['--input-type=module', '-e', check], {
          encoding: 'utf8',
        }).trim();
      };
      expect(loadedBy('require')).toBe('CommonJS');
      expect(loadedBy('import')).toBe('an ES module');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
