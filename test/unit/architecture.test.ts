import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findLayerViolations, SRC_ROOT } from '../../scripts/check-layers.js';

describe('the layer rule', () => {
  it('holds for the functions source', () => {
    expect(findLayerViolations(SRC_ROOT)).toEqual([]);
  });

  it('when the domain imports an adapter, an SDK or the clock of the system, then each is a violation', () => {
    const file = join(SRC_ROOT, 'domain/sessions/bad.ts');
    const text = [
      "import { FirestoreSessionRepository } from '../../adapters/firestore/session-repository.js';",
      "import { Firestore } from '@google-cloud/firestore';",
      "import { readFileSync } from 'node:fs';",
      "import { z } from 'zod';",
      "import { compareEvents } from './events.js';",
    ].join('\n');
    expect(findLayerViolations(SRC_ROOT, new Map([[file, text]])).map((v) => v.imports)).toEqual([
      '../../adapters/firestore/session-repository.js',
      '@google-cloud/firestore',
      'node:fs',
    ]);
  });

  it('when a use case imports an adapter, then it is a violation', () => {
    const file = join(SRC_ROOT, 'app/bad.ts');
    const text = "import { firestoreClient } from '../adapters/firestore/client.js';";
    expect(findLayerViolations(SRC_ROOT, new Map([[file, text]]))).toHaveLength(1);
  });

  it('when a use case logs, then it may; the domain may not, nor may a use case reach the composition', () => {
    const useCase = join(SRC_ROOT, 'app/recordings/bad.ts');
    const domain = join(SRC_ROOT, 'domain/recordings/bad.ts');
    const files = new Map([
      [useCase, "import { logs } from '../../log.js';\nimport { compose } from '../../composition.js';"],
      [domain, "import { logs } from '../../log.js';"],
    ]);
    expect(findLayerViolations(SRC_ROOT, files).map((v) => `${v.file} ${v.imports}`)).toEqual([
      'app/recordings/bad.ts ../../composition.js',
      'domain/recordings/bad.ts ../../log.js',
    ]);
  });
});

describe('the composition root is for the entry modules', () => {
  it('when an adapter, an http module or a trigger imports the composition or an entry module, then each is a violation; config and log they may import', () => {
    const importsOfRoot = (prefix: string) =>
      ['composition', 'index', 'config', 'log']
        .map((m) => `import { x } from '${prefix}${m}.js';`)
        .join('\n');
    const files = new Map([
      [join(SRC_ROOT, 'adapters/firestore/bad.ts'), importsOfRoot('../../')],
      [join(SRC_ROOT, 'http/bad.ts'), importsOfRoot('../')],
      [join(SRC_ROOT, 'triggers/bad.ts'), importsOfRoot('../')],
      [join(SRC_ROOT, 'entry.ts'), importsOfRoot('./')],
    ]);
    expect(findLayerViolations(SRC_ROOT, files).map((v) => `${v.file} ${v.imports}`)).toEqual([
      'adapters/firestore/bad.ts ../../composition.js',
      'adapters/firestore/bad.ts ../../index.js',
      'http/bad.ts ../composition.js',
      'http/bad.ts ../index.js',
      'triggers/bad.ts ../composition.js',
      'triggers/bad.ts ../index.js',
    ]);
  });

  it('when an adapter imports another root module, such as an entry module in a folder of its own, or anything outside the source, then each is a violation', () => {
    const file = join(SRC_ROOT, 'adapters/bad.ts');
    const text =
      "import { compose } from '../functions/api.js';\nimport { x } from '../../../scripts/stack/emulators.js';";
    expect(findLayerViolations(SRC_ROOT, new Map([[file, text]])).map((v) => v.imports)).toEqual([
      '../functions/api.js',
      '../../../scripts/stack/emulators.js',
    ]);
  });
});

describe('the domain is given the time', () => {
  it('when a domain file reads the clock, then each reading is a violation; converting a time it was given is not', () => {
    const file = join(SRC_ROOT, 'domain/hours/bad.ts');
    const text = [
      'export const a = Date.now();',
      'export const b = Date.now;',
      'export const c = new Date();',
      'export const d = new Date;',
      'export const e = Date();',
      'export const f = globalThis.Date.now();',
      // Not readings of the clock:
      'export const g = (ms: number) => new Date(ms).toISOString();',
      "export const h = Date.parse('2026-01-01T00:00:00Z') + Date.UTC(2026, 0, 1);",
      "export const i = 'Date.now()'; // new Date() in a comment",
    ].join('\n');
    expect(
      findLayerViolations(SRC_ROOT, new Map([[file, text]])).map((v) => [v.file, v.calls, v.rule]),
    ).toEqual(
      [
        [1, 'Date.now'],
        [2, 'Date.now'],
        [3, 'new Date()'],
        [4, 'new Date()'],
        [5, 'Date()'],
        [6, 'Date.now'],
      ].map(([line, calls]) => [
        'domain/hours/bad.ts',
        calls,
        `domain is given the time and may not read the clock (line ${line})`,
      ]),
    );
  });
});
