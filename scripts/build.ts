import { readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { FRONT_DOOR_NODE_OPTIONS } from './stack/functions.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * `npm run build`, which the deployment runs too (gcp-build): functions/src bundled into
 * functions/lib, what every function is started from. Two entry points: the package's main, which
 * imports the module of the one function the runtime serves, and the front door that NODE_OPTIONS
 * preloads in the HTTP functions. Code shared between them is split into chunks, loaded once and only
 * by the functions that use it: a cold start reads a few files instead of a hundred modules, and the
 * preload and the function share one copy of what they both use.
 *
 * Our code and zod are bundled; every other dependency (the Google SDKs, jsforce, the functions
 * framework) is loaded from node_modules, as published: the framework must be the very module its
 * CLI registers functions with, and the SDKs read files of their own at run time. Whitespace and
 * syntax are minified, names are not: a stack trace in the logs still names its functions.
 */
export async function buildFunctions(outDir = join(ROOT, layout().outDir)): Promise<void> {
  const { rootDir, main, preload } = layout();
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  rmSync(outDir, { recursive: true, force: true });
  let englishOnly = 0;
  await build({
    entryPoints: [main, preload].map((entry) => join(ROOT, rootDir, entry)),
    outbase: join(ROOT, rootDir),
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: 'chunks/[name]-[hash]',
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: 'linked',
    external: Object.keys(pkg.dependencies).filter((name) => !BUNDLED.has(name)),
    plugins: [zodInEnglishOnly(() => (englishOnly += 1))],
    logLevel: 'warning',
  });
  // Zod's layout is not a published interface: if a release moves its locales, fail rather than
  // silently ship the 250 KB that the plugin leaves out.
  if (englishOnly !== 1) throw new Error(`zod's locales index was matched ${englishOnly} times, not once`);
}

/** Bundled rather than loaded from node_modules: zod's hundred modules cost more to resolve than to run. */
const BUNDLED = new Set(['zod']);

/**
 * Zod's messages are in English by default (its classic schemas import locales/en.js themselves);
 * the other 40-odd locales are only reachable through `z.locales`, which nothing here uses, and are
 * two thirds of zod's size.
 */
function zodInEnglishOnly(matched: () => void): Plugin {
  return {
    name: 'zod-in-english-only',
    setup(plugin) {
      plugin.onLoad({ filter: /[\\/]node_modules[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => {
        matched();
        return { contents: 'export { default as en } from "./en.js";', loader: 'js' };
      });
    },
  };
}

/**
 * Where things are, from the files that say it: functions/src to functions/lib (tsconfig.build.json),
 * the main (package.json) and the preload (NODE_OPTIONS of the HTTP functions, infra/functions.tf).
 */
function layout() {
  const { compilerOptions } = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
    compilerOptions: { rootDir: string; outDir: string };
  };
  const { main } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string };
  const preload = /^--import=\.\/(.+)$/.exec(FRONT_DOOR_NODE_OPTIONS)?.[1];
  if (!preload)
    throw new Error(`FRONT_DOOR_NODE_OPTIONS does not preload a module: ${FRONT_DOOR_NODE_OPTIONS}`);
  const source = (built: string) => relative(compilerOptions.outDir, built).replace(/\.js$/, '.ts');
  return {
    rootDir: compilerOptions.rootDir,
    outDir: compilerOptions.outDir,
    main: source(main),
    preload: source(preload),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildFunctions();
}
