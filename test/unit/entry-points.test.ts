import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { FUNCTION_NAMES, type FunctionName } from '../../functions/src/config.js';
import { FUNCTION_MODULES } from '../../functions/src/entry-points.js';

/**
 * What each deployed function loads, read from its import graph (imports of types only left out, as
 * the build drops them): packages imported statically load at its cold start, those behind an
 * `import()` on first use. A function never loads the SDK of a service it does not use.
 */
const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../functions/src');

interface Imports {
  atStart: string[];
  onUse: string[];
}

const importsByFile = new Map<string, Imports>();

/**
 * Whether the build drops this import: `import type`, or nothing but `type` names. A value imported
 * only to be used as a type counts as loaded: write `import type` for it.
 */
function typeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) return node.isTypeOnly;
  const clause = node.importClause;
  if (!clause) return false;
  if (clause.isTypeOnly) return true;
  const bindings = clause.namedBindings;
  return (
    clause.name === undefined &&
    bindings !== undefined &&
    ts.isNamedImports(bindings) &&
    bindings.elements.length > 0 &&
    bindings.elements.every((element) => element.isTypeOnly)
  );
}

function importsOf(file: string): Imports {
  const known = importsByFile.get(file);
  if (known) return known;
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
  const found: Imports = { atStart: [], onUse: [] };
  const visit = (node: ts.Node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier) &&
      !typeOnly(node)
    )
      found.atStart.push(node.moduleSpecifier.text);
    if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    )
      found.onUse.push(node.arguments[0].text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  importsByFile.set(file, found);
  return found;
}

const packageOf = (specifier: string) =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;

/** The files and packages reached from `entry`: by static imports only, or by any import. */
function reach(entry: string, followDynamic: boolean) {
  const files = new Set<string>();
  const packages = new Set<string>();
  const walk = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const { atStart, onUse } = importsOf(file);
    for (const specifier of followDynamic ? [...atStart, ...onUse] : atStart) {
      if (specifier.startsWith('.')) walk(resolve(dirname(file), specifier).replace(/\.js$/, '.ts'));
      else if (!specifier.startsWith('node:')) packages.add(packageOf(specifier));
    }
  };
  walk(entry);
  return { files: [...files].map((f) => f.slice(src.length + 1)), packages: [...packages].sort() };
}

const FRAMEWORK = '@google-cloud/functions-framework';
const FIRESTORE = '@google-cloud/firestore';
const TASKS = '@google-cloud/tasks';
const STORAGE = '@google-cloud/storage';
const PUBSUB = '@google-cloud/pubsub';
const AUTH = 'google-auth-library';

/** What each function serves: Firestore and the framework at its cold start, the rest on first use. */
const EXPECTED = new Map<FunctionName, { atStart: string[]; ever: string[] }>([
  // Live chat: commands to the platform, and (platformEvents) the offers' timeout tasks' OIDC tokens.
  // Smart-action media: platformEvents opens upload sessions in the media bucket.
  ['platformEvents', { atStart: [FRAMEWORK, FIRESTORE, 'zod'], ever: [TASKS, STORAGE, PUBSUB, AUTH] }],
  ['platformEventsPubSub', { atStart: [FRAMEWORK, FIRESTORE, 'zod'], ever: [TASKS, STORAGE, PUBSUB, AUTH] }],
  ['api', { atStart: [FRAMEWORK, FIRESTORE, 'zod'], ever: [TASKS, STORAGE, PUBSUB, AUTH] }],
  ['recordingReady', { atStart: [FRAMEWORK, FIRESTORE, 'zod'], ever: [TASKS, STORAGE] }],
  ['recordingWorker', { atStart: [FRAMEWORK, FIRESTORE, 'zod'], ever: [TASKS, STORAGE, AUTH, 'jsforce'] }],
  ['sweeper', { atStart: [FRAMEWORK, FIRESTORE, 'zod'], ever: [TASKS, STORAGE] }],
  ['mediaReady', { atStart: [FRAMEWORK, FIRESTORE, 'zod'], ever: [STORAGE] }],
]);

const moduleOf = (name: FunctionName) => join(src, FUNCTION_MODULES.get(name)!.replace(/\.js$/, '.ts'));

describe("each function's own module", () => {
  it('every function has one, in the table the main loads from', () => {
    expect([...FUNCTION_MODULES.keys()].sort()).toEqual([...FUNCTION_NAMES].sort());
    expect([...EXPECTED.keys()].sort()).toEqual([...FUNCTION_NAMES].sort());
  });

  it("the main loads nothing at import but the table and what runs a bundle: only the deployed function's bundle", () => {
    const atStart = reach(join(src, 'index.ts'), false);
    expect(atStart.files.sort()).toEqual(['entry-points.ts', 'function-bundle.ts', 'index.ts', 'log.ts']);
    expect(atStart.packages).toEqual([]);
  });

  it.each([...FUNCTION_NAMES])(
    '%s loads the framework, Firestore and zod at its cold start, and only the SDKs it uses on first use',
    (name) => {
      const atStart = reach(moduleOf(name), false);
      const ever = reach(moduleOf(name), true);
      const expected = EXPECTED.get(name)!;
      expect(atStart.packages).toEqual([...expected.atStart].sort());
      expect(ever.packages).toEqual([...expected.atStart, ...expected.ever].sort());
      // No function's module is part of another's.
      const others = FUNCTION_NAMES.filter((other) => other !== name).map((other) =>
        moduleOf(other).slice(src.length + 1),
      );
      expect(ever.files.filter((file) => others.includes(file))).toEqual([]);
    },
  );
});
