import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * The layer rule, enforced: what each folder of functions/src may import. The domain is pure (no
 * I/O, no SDK), ports and use cases never reach for an adapter, and only the entry point and the
 * adapters know the SDKs. Run by `npm run check` and by the unit tests.
 */
type Layer = 'domain' | 'ports' | 'app' | 'adapters' | 'http' | 'triggers' | 'root';

const ALLOWED: Record<Layer, { layers: Layer[]; packages: RegExp }> = {
  domain: { layers: ['domain'], packages: /^zod$/ },
  ports: { layers: ['domain', 'ports'], packages: /^$/ },
  app: { layers: ['domain', 'ports', 'app'], packages: /^$/ },
  adapters: {
    layers: ['domain', 'ports', 'adapters', 'root'],
    packages: /^(@google-cloud\/|google-auth-library|jsforce|node:)/,
  },
  http: {
    layers: ['domain', 'ports', 'app', 'http', 'root'],
    packages: /^(zod|node:|@google-cloud\/functions-framework)/,
  },
  triggers: {
    layers: ['domain', 'ports', 'app', 'http', 'root'],
    packages: /^(@google-cloud\/functions-framework)/,
  },
  root: { layers: ['domain', 'ports', 'app', 'adapters', 'http', 'triggers', 'root'], packages: /./ },
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

export interface Violation {
  file: string;
  imports: string;
  rule: string;
}

/** `files` maps a path under `srcRoot` to its text; by default the files on disk. */
export function findLayerViolations(srcRoot: string, files?: Map<string, string>): Violation[] {
  const sources = files ?? new Map([...sourceFiles(srcRoot)].map((f) => [f, readFileSync(f, 'utf8')]));
  const violations: Violation[] = [];
  for (const [file, text] of sources) {
    const from = layerOf(srcRoot, file);
    const { importedFiles } = ts.preProcessFile(text, true, true);
    for (const { fileName: specifier } of importedFiles) {
      const rule = ALLOWED[from];
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        const to = layerOf(srcRoot, target);
        // Use cases may report what they did: the log module is plain code with no SDK behind it.
        const isLog = relative(srcRoot, target).replace(/\.[jt]s$/, '') === 'log';
        if (!rule.layers.includes(to) && !(isLog && from === 'app'))
          violations.push({
            file: relative(srcRoot, file),
            imports: specifier,
            rule: `${from} may not import ${to}`,
          });
      } else if (!rule.packages.test(specifier)) {
        violations.push({
          file: relative(srcRoot, file),
          imports: specifier,
          rule: `${from} may not import the package ${specifier}`,
        });
      }
    }
  }
  return violations;
}

export const SRC_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../functions/src');

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const violations = findLayerViolations(SRC_ROOT);
  for (const v of violations) console.error(`${v.file}: imports ${v.imports} (${v.rule})`);
  if (violations.length > 0) process.exit(1);
  console.log('Layer rule: no violations.');
}
