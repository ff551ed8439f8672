import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * The layer rule, enforced: what each folder of functions/src may import. The domain is pure (no
 * I/O, no SDK, no reading of the clock: time is passed in), ports and use cases never reach for an
 * adapter, only the entry point and the adapters know the SDKs, and only the entry modules know the
 * composition root. Run by `npm run check` and by the unit tests.
 */
type Layer = 'domain' | 'ports' | 'app' | 'adapters' | 'http' | 'triggers' | 'root';

/**
 * The root modules a layer may import by name: configuration and logs are plain code with no SDK and
 * no composition behind them; the composition and the entry modules that use it are for the root only.
 */
const SHARED_ROOT_MODULES = ['config', 'log'];

interface Rule {
  layers: Exclude<Layer, 'root'>[];
  root: 'any' | string[];
  packages: RegExp;
}

const ALLOWED: Record<Layer, Rule> = {
  domain: { layers: ['domain'], root: [], packages: /^zod$/ },
  ports: { layers: ['domain', 'ports'], root: [], packages: /^$/ },
  // Use cases may report what they did.
  app: { layers: ['domain', 'ports', 'app'], root: ['log'], packages: /^$/ },
  adapters: {
    layers: ['domain', 'ports', 'adapters'],
    root: SHARED_ROOT_MODULES,
    packages: /^(@google-cloud\/|google-auth-library|jsforce|node:)/,
  },
  http: {
    layers: ['domain', 'ports', 'app', 'http'],
    root: SHARED_ROOT_MODULES,
    packages: /^(zod|node:|@google-cloud\/functions-framework)/,
  },
  triggers: {
    layers: ['domain', 'ports', 'app', 'http'],
    root: SHARED_ROOT_MODULES,
    packages: /^(@google-cloud\/functions-framework)/,
  },
  root: {
    layers: ['domain', 'ports', 'app', 'adapters', 'http', 'triggers'],
    root: 'any',
    packages: /./,
  },
};

function layerOf(srcRoot: string, file: string): Layer {
  const top = relative(srcRoot, file).split(/[\\/]/)[0]!;
  return (
    (['domain', 'ports', 'app', 'adapters', 'http', 'triggers'] as const).find((l) => l === top) ?? 'root'
  );
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (entry.name.endsWith('.ts')) yield path;
  }
}

/** What breaks the rule: an import (`imports`), or a reading of the clock in the domain (`calls`). */
export interface Violation {
  file: string;
  imports?: string;
  calls?: string;
  rule: string;
}

function importViolations(srcRoot: string, file: string, text: string): Violation[] {
  const from = layerOf(srcRoot, file);
  const rule = ALLOWED[from];
  const violations: Violation[] = [];
  for (const { fileName: specifier } of ts.preProcessFile(text, true, true).importedFiles) {
    const found = (why: string) =>
      violations.push({ file: relative(srcRoot, file), imports: specifier, rule: why });
    if (!specifier.startsWith('.')) {
      if (!rule.packages.test(specifier)) found(`${from} may not import the package ${specifier}`);
      continue;
    }
    const target = resolve(dirname(file), specifier);
    const to = layerOf(srcRoot, target);
    if (to !== 'root') {
      if (!rule.layers.includes(to)) found(`${from} may not import ${to}`);
      continue;
    }
    const module = relative(srcRoot, target).replace(/\.[jt]s$/, '');
    if (rule.root !== 'any' && !rule.root.includes(module))
      found(
        rule.root.length === 0
          ? `${from} may not import root`
          : `${from} may import only ${rule.root.join(' and ')} of the root, not ${module}`,
      );
  }
  return violations;
}

/** `Date`, or `globalThis.Date` and the like. */
const isDate = (node: ts.Expression) =>
  (ts.isIdentifier(node) && node.text === 'Date') ||
  (ts.isPropertyAccessExpression(node) && node.name.text === 'Date');

/**
 * Every reading of the system clock in a domain file: `Date.now` (called or passed on), `Date()` and
 * `new Date()` without an argument. `new Date(ms)` only converts a time it was given.
 */
function clockReadings(srcRoot: string, file: string, text: string): Violation[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const violations: Violation[] = [];
  const visit = (node: ts.Node) => {
    let reading: string | undefined;
    if (ts.isPropertyAccessExpression(node) && node.name.text === 'now' && isDate(node.expression))
      reading = 'Date.now';
    else if (ts.isNewExpression(node) && isDate(node.expression) && (node.arguments?.length ?? 0) === 0)
      reading = 'new Date()';
    else if (ts.isCallExpression(node) && isDate(node.expression)) reading = 'Date()';
    if (reading) {
      const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      violations.push({
        file: relative(srcRoot, file),
        calls: reading,
        rule: `domain is given the time and may not read the clock (line ${line})`,
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return violations;
}

/** `files` maps a path under `srcRoot` to its text; by default the files on disk. */
export function findLayerViolations(srcRoot: string, files?: Map<string, string>): Violation[] {
  const sources = files ?? new Map([...sourceFiles(srcRoot)].map((f) => [f, readFileSync(f, 'utf8')]));
  const violations: Violation[] = [];
  for (const [file, text] of sources) {
    violations.push(...importViolations(srcRoot, file, text));
    if (layerOf(srcRoot, file) === 'domain') violations.push(...clockReadings(srcRoot, file, text));
  }
  return violations;
}

export const SRC_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../functions/src');

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const violations = findLayerViolations(SRC_ROOT);
  for (const v of violations)
    console.error(`${v.file}: ${v.imports ? `imports ${v.imports}` : `calls ${v.calls}`} (${v.rule})`);
  if (violations.length > 0) process.exit(1);
  console.log('Layer rule: no violations.');
}
