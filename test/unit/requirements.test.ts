import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  citingFiles,
  definedRequirementIds,
  REQUIREMENTS_FILE,
  sharedRequirementsPath,
  unresolvedCitations,
} from '../../scripts/requirements.js';

const document = readFileSync(REQUIREMENTS_FILE, 'utf8');
const defined = definedRequirementIds(document);

describe('requirements in the repository', () => {
  it('when docs/requirements.md is read, then it defines the requirements of every family', () => {
    for (const id of ['MON-1', 'MON-7', 'AHD-11', 'REC-6', 'END-3', 'LCH-10']) expect(defined).toContain(id);
  });

  it('when code, tests and docs cite a requirement id, then docs/requirements.md defines it', () => {
    const unresolved = unresolvedCitations(citingFiles(), defined).map((c) => `${c.file}:${c.line} ${c.id}`);
    expect(unresolved).toEqual([]);
  });

  it('when a file cites an id the document does not define, then that citation is reported', () => {
    // Built from pieces so that this file does not itself cite an undefined id.
    const madeUp = ['REC', '99'].join('-');
    const misspelt = ['MNO', '3'].join('-');
    const files = new Map([
      ['functions/src/x.ts', `// uploads in order (REC-5)\n// deletes within a week (${madeUp})`],
      ['docs/x.md', `Monitors are invisible (${misspelt}); text is UTF-8, digests SHA-256.`],
    ]);
    expect(unresolvedCitations(files, defined)).toEqual([
      { file: 'functions/src/x.ts', line: 2, id: madeUp },
      { file: 'docs/x.md', line: 1, id: misspelt },
    ]);
  });

  it('when the checkout is a clone, a linked worktree or alone, then the shared original is found beside it or not at all', () => {
    const machine = mkdtempSync(join(tmpdir(), 'requirements-'));
    try {
      const main = join(machine, 'main');
      const worktree = join(machine, 'worktrees', 'docs');
      mkdirSync(join(main, '.git', 'worktrees', 'docs'), { recursive: true });
      writeFileSync(join(main, '.git', 'worktrees', 'docs', 'commondir'), '../..\n');
      mkdirSync(worktree, { recursive: true });
      writeFileSync(join(worktree, '.git'), `gitdir: ${join(main, '.git', 'worktrees', 'docs')}\n`);
      expect(sharedRequirementsPath(main)).toBeUndefined();
      expect(sharedRequirementsPath(worktree)).toBeUndefined();

      mkdirSync(join(machine, 'shared'));
      writeFileSync(join(machine, 'shared', 'SPEC.md'), '# spec\n');
      expect(sharedRequirementsPath(main)).toBe(join(machine, 'shared', 'SPEC.md'));
      expect(sharedRequirementsPath(worktree)).toBe(join(machine, 'shared', 'SPEC.md'));
    } finally {
      rmSync(machine, { recursive: true, force: true });
    }
  });

  const shared = sharedRequirementsPath();
  it.skipIf(!shared)(
    'when ../shared/SPEC.md is on this machine, then docs/requirements.md is the same text (npm run requirements)',
    () => {
      expect(document, `docs/requirements.md differs from ${shared}: run npm run requirements`).toBe(
        readFileSync(shared!, 'utf8'),
      );
    },
  );
});
