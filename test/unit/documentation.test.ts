import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const README = join(ROOT, 'README.md');
const DOCS = join(ROOT, 'docs');
/** A newcomer's README fits on a few screens; the design lives in docs/. */
const README_MAX_BYTES = 12_000;
const SOURCE_ROOT = join(ROOT, 'functions/src');
const BUILD_OUTPUTS = ['functions/lib'];
const isBuilt = (path: string) =>
  BUILD_OUTPUTS.some((output) => path.replace(/\/$/, '') === output || path.startsWith(`${output}/`));

const docsPages = () =>
  readdirSync(DOCS)
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(DOCS, name));

/** Targets of inline Markdown links `[text](target)` that stay inside the repository. */
function relativeLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((match) => match[1]!)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('#'));
}

function brokenLinks(file: string, markdown: string): string[] {
  return relativeLinks(markdown)
    .filter((target) => {
      const path = resolve(dirname(file), decodeURI(target.split('#')[0]!));
      return !existsSync(path) || !statSync(path).isFile();
    })
    .map((target) => `${relative(ROOT, file)} → ${target}`);
}

/**
 * Paths in code spans that name a file or folder of the repository (`local-servers/tasks.ts`) or of
 * functions/src (`domain/hours/`) and are not there. Other spans (`sessions/{id}`, `/v1/me`) are not paths.
 */
function stalePaths(file: string, markdown: string): string[] {
  return [...markdown.matchAll(/`([\w.-]+(?:\/[\w.-]*)+)`/g)]
    .map((match) => match[1]!)
    .filter((path) => {
      const top = path.split('/')[0]!;
      // Beside the repository (`../shared/SPEC.md`) or built, not committed.
      if (top === '..' || isBuilt(path)) return false;
      if (existsSync(join(ROOT, top))) return !existsSync(join(ROOT, path));
      if (existsSync(join(SOURCE_ROOT, top)))
        return !existsSync(join(SOURCE_ROOT, path)) && !existsSync(join(SOURCE_ROOT, `${path}.ts`));
      return false;
    })
    .map((path) => `${relative(ROOT, file)}: ${path}`);
}

describe('documentation', () => {
  it('when the README is read, then it stays under 12 KB', () => {
    expect(statSync(README).size).toBeLessThan(README_MAX_BYTES);
  });

  it('when README and docs/ link inside the repository, then every link reaches a file', () => {
    const broken = [README, ...docsPages()].flatMap((file) => brokenLinks(file, readFileSync(file, 'utf8')));
    expect(broken).toEqual([]);
  });

  it('when a link names a missing file, then it is reported, and links elsewhere are left alone', () => {
    const page = join(DOCS, 'example.md');
    const markdown = [
      'See [recordings](recordings.md#deleted-once), [infra](../infra/README.md), [gone](gone.md),',
      '[a folder](../infra), [Salesforce](https://help.salesforce.com/) and [above](#top).',
    ].join('\n');
    expect(brokenLinks(page, markdown)).toEqual(['docs/example.md → gone.md', 'docs/example.md → ../infra']);
  });

  it('when README and docs/ name a file or folder of the repository, then it is there', () => {
    const pages = [README, ...docsPages().filter((file) => file !== join(DOCS, 'requirements.md'))];
    expect(pages.flatMap((file) => stalePaths(file, readFileSync(file, 'utf8')))).toEqual([]);
  });

  it('when a page names a path that moved, then it is reported, and what is not a path is left alone', () => {
    const markdown = [
      'Served by `scripts/emulators/tasks-server.ts` and `local-servers/tasks.ts`; rules in `domain/hours/`,',
      '`app/ingest-session-event` and `domain/hour/`; stored in `sessions/{id}` and `recordings/`; built to `functions/lib`.',
    ].join('\n');
    expect(stalePaths(join(DOCS, 'example.md'), markdown)).toEqual([
      'docs/example.md: scripts/emulators/tasks-server.ts',
      'docs/example.md: domain/hour/',
    ]);
  });

  it('when a page is in docs/, then the README links to it', () => {
    const linked = new Set(relativeLinks(readFileSync(README, 'utf8')).map((target) => target.split('#')[0]));
    const unlinked = docsPages()
      .map((file) => relative(ROOT, file))
      .filter((path) => !linked.has(path));
    expect(unlinked).toEqual([]);
  });
});
