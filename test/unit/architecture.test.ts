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
