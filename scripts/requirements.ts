import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The requirements document lives in `docs/requirements.md`, a verbatim copy of the product's
 * `../shared/SPEC.md`, so that every requirement id cited in code, tests and docs resolves inside
 * the repository. `npm run requirements` brings the copy up to date; a unit test reports drift
 * whenever the shared original is on this machine.
 */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REQUIREMENTS_FILE = join(ROOT, 'docs/requirements.md');

/** Folders and files where requirement ids are cited. */
export const CITING_PATHS = [
  'README.md',
  'docs',
  'functions/src',
  'test',
  'bench',
  'scripts',
  'local-servers',
  'infra',
];
const CITING_EXTENSIONS = /\.(ts|md|tf)$/;

/** Shaped like a requirement id (three capitals, a dash, a number) but names an encoding or a digest. */
const NOT_REQUIREMENT_FAMILIES = new Set(['UTF', 'SHA']);

/** `MON-3`, `AHD-11`: a family of three capitals, then the requirement's number. */
const CITATION = /\b([A-Z]{3})-(\d+)\b/g;

/** The ids the document defines: each requirement is a list entry that starts with its id. */
export function definedRequirementIds(document: string): Set<string> {
  return new Set([...document.matchAll(/^- ([A-Z]{3}-\d+) /gm)].map((match) => match[1]!));
}

export interface Citation {
  file: string;
  line: number;
  id: string;
}

export function citationsIn(file: string, text: string): Citation[] {
  const citations: Citation[] = [];
  text.split('\n').forEach((lineText, index) => {
    for (const match of lineText.matchAll(CITATION))
      if (!NOT_REQUIREMENT_FAMILIES.has(match[1]!)) citations.push({ file, line: index + 1, id: match[0] });
  });
  return citations;
}

/** Citations of an id the document does not define. `files` maps a path to its text. */
export function unresolvedCitations(files: Map<string, string>, defined: Set<string>): Citation[] {
  return [...files].flatMap(([file, text]) => citationsIn(file, text).filter((c) => !defined.has(c.id)));
}

function* filesUnder(path: string): Generator<string> {
  if (!statSync(path).isDirectory()) {
    yield path;
    return;
  }
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const child = join(path, entry.name);
    if (entry.isDirectory()) yield* filesUnder(child);
    else if (CITING_EXTENSIONS.test(entry.name)) yield child;
  }
}

/** Every file that may cite a requirement, except the requirements document itself. */
export function citingFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const top of CITING_PATHS)
    for (const file of filesUnder(join(ROOT, top)))
      if (file !== REQUIREMENTS_FILE) files.set(relative(ROOT, file), readFileSync(file, 'utf8'));
  return files;
}

/**
 * Where the shared original is: `../shared/SPEC.md` beside this checkout, or, in a linked git
 * worktree, beside the main checkout it was made from. Undefined where neither exists (a plain clone).
 */
export function sharedRequirementsPath(root = ROOT): string | undefined {
  const candidates = [resolve(root, '../shared/SPEC.md')];
  const dotGit = join(root, '.git');
  if (existsSync(dotGit) && statSync(dotGit).isFile()) {
    const gitDir = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'))?.[1]?.trim();
    const commonDirFile = gitDir && join(resolve(root, gitDir), 'commondir');
    if (commonDirFile && existsSync(commonDirFile)) {
      const commonDir = resolve(dirname(commonDirFile), readFileSync(commonDirFile, 'utf8').trim());
      candidates.push(resolve(dirname(commonDir), '../shared/SPEC.md'));
    }
  }
  return candidates.find((candidate) => existsSync(candidate));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const shared = sharedRequirementsPath();
  if (!shared) {
    console.log('no ../shared/SPEC.md on this machine: docs/requirements.md left as it is');
  } else {
    const before = existsSync(REQUIREMENTS_FILE) ? readFileSync(REQUIREMENTS_FILE) : undefined;
    // Written, not copied, so that the copy takes this checkout's file mode rather than the original's.
    const text = readFileSync(shared);
    writeFileSync(REQUIREMENTS_FILE, text);
    const changed = !before || !before.equals(text);
    console.log(`${changed ? 'updated' : 'already current:'} docs/requirements.md from ${shared}`);
  }
}
