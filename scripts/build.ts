import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import type { FunctionName } from '../functions/src/config.js';
import { FUNCTION_MODULES } from '../functions/src/entry-points.js';
import { REQUEST_BODY_LIMITS } from '../functions/src/http/front-door.js';
import { FRONT_DOOR_NODE_OPTIONS } from './stack/functions.js';
import { RECORDING_WORKER_NODE_OPTIONS } from './stack/recordings.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * `npm run build`, which the deployment runs too (gcp-build, on the runtime the functions are deployed
 * on): functions/src bundled into functions/lib, what every function is started from.
 *
 * Everything built is CommonJS, which Node loads without its ES-module loader (tens of milliseconds
 * of a cold start). The package's main (index.ts) and the front door that NODE_OPTIONS preloads in
 * the HTTP functions are small. Each function's own code is one bundle (`functions/<name>.cjs`) that
 * the main runs through function-bundle.ts with a V8 code cache made here, by running the bundle once
 * with the function's configuration and V8 flags and answering a first request: a cold start then
 * reads compiled code instead of compiling it (what that saves: docs/benchmarks.md).
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
  const common = {
    outbase: join(ROOT, rootDir),
    outdir: outDir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: 'linked',
    external: Object.keys(pkg.dependencies).filter((name) => !BUNDLED.has(name)),
    plugins: [zodInEnglishOnly(() => (englishOnly += 1))],
    logLevel: 'warning',
    format: 'cjs',
    // The SDKs loaded on first use are required: an `import()` in a bundle compiled as a script would
    // need a loader that Node still calls experimental.
    supported: { 'dynamic-import': false },
  } satisfies BuildOptions;
  const modules = functionModules(join(ROOT, rootDir));
  await build({
    ...common,
    entryPoints: [main, preload, BUNDLE_RUNNER].map((entry) => join(ROOT, rootDir, entry)),
  });
  await build({ ...common, entryPoints: [...modules.values()], outExtension: { '.js': '.cjs' } });
  // Every .js file of the build is CommonJS, whatever the package's type: Node and the framework
  // (which imports the main when its nearest package.json says "module") read the nearest one.
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
  // Zod's layout is not a published interface: if a release moves its locales, fail rather than
  // silently ship the 250 KB that the plugin leaves out.
  if (englishOnly !== 1) throw new Error(`zod's locales index was matched ${englishOnly} times, not once`);
  const bundleOf = (source: string) =>
    join(outDir, relative(join(ROOT, rootDir), source)).replace(/\.ts$/, '.cjs');
  const runner = join(outDir, BUNDLE_RUNNER.replace(/\.ts$/, '.js'));
  await Promise.all([...modules].map(([name, source]) => makeCodeCache(name, bundleOf(source), runner)));
}

/** What runs each function's bundle with its code cache (functions/src/function-bundle.ts). */
const BUNDLE_RUNNER = 'function-bundle.ts';

/** Each function's module (functions/src/entry-points.ts), built as that function's bundle. */
function functionModules(srcRoot: string): Map<FunctionName, string> {
  return new Map(
    [...FUNCTION_MODULES].map(([name, module]) => [name, join(srcRoot, module.replace(/\.js$/, '.ts'))]),
  );
}

/**
 * The V8 flags `name` is deployed with: its NODE_OPTIONS (infra/functions.tf, which the infra tests
 * hold to these constants) less the modules they preload. V8 rejects a code cache made under others.
 */
function v8FlagsOf(name: FunctionName): string[] {
  const nodeOptions = [
    ...(name === 'recordingWorker' ? [RECORDING_WORKER_NODE_OPTIONS] : []),
    ...(REQUEST_BODY_LIMITS.has(name) ? [FRONT_DOOR_NODE_OPTIONS] : []),
  ];
  return nodeOptions
    .flatMap((options) => options.split(/\s+/))
    .filter((option) => option !== '' && !/^--(import|require)=/.test(option));
}

/**
 * A configuration every function starts with, reaching nothing: the bundle is run once to make its
 * cache, and answers one request that needs no I/O (a health check, or the framework's 404).
 */
function cacheRunEnvironment(name: FunctionName): Record<string, string> {
  const nowhere = 'http://127.0.0.1:9';
  const project = 'demo-build';
  return {
    PATH: process.env.PATH ?? '',
    NODE_OPTIONS: '',
    METADATA_SERVER_DETECTION: 'none',
    FUNCTION_TARGET: name,
    GOOGLE_CLOUD_PROJECT: project,
    LOG_LEVEL: 'ERROR',
    RECORDINGS_BUCKET: 'build-recordings',
    MEDIA_BUCKET: 'build-media',
    RECORDINGS_QUEUE: `projects/${project}/locations/europe-west1/queues/recordings`,
    RECORDING_WORKER_URL: `${nowhere}/recording-worker`,
    RECORDING_TASKS_SERVICE_ACCOUNT: `recording-tasks@${project}.iam.gserviceaccount.com`,
    PLATFORM_SIGNING_SECRET: 'build-code-cache-secret-0123456789abcdef',
    SALESFORCE_LOGIN_URL: nowhere,
    SALESFORCE_CLIENT_ID: 'build',
    SALESFORCE_USERNAME: 'build@switchboard.test',
    SALESFORCE_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\\nnot read\\n-----END PRIVATE KEY-----',
  };
}

/**
 * Runs `bundle` as the function would, in a process of its own with the function's V8 flags, answers
 * `GET /healthz` through the framework, and writes the code cache of everything compiled by then.
 */
async function makeCodeCache(name: FunctionName, bundle: string, runner: string): Promise<void> {
  const code = `import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { codeCacheOf, compileBundle } from ${JSON.stringify(pathToFileURL(runner).href)};
const bundle = ${JSON.stringify(bundle)};
const compiled = compileBundle(bundle);
compiled.run();
const { getTestServer } = await import('@google-cloud/functions-framework/testing');
const server = getTestServer(${JSON.stringify(name)});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
await new Promise((resolve, reject) =>
  request({ host: '127.0.0.1', port: server.address().port, path: '/healthz', agent: false }, (res) =>
    res.resume().once('end', resolve),
  ).once('error', reject).end(),
);
writeFileSync(codeCacheOf(bundle), compiled.codeCache());
process.exit(0);
`;
  const child = spawn(process.execPath, [...v8FlagsOf(name), '--input-type=module', '-e', code], {
    cwd: ROOT,
    env: cacheRunEnvironment(name),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exit = await new Promise<number | null>((done) => child.once('exit', done));
  if (exit !== 0) throw new Error(`making ${name}'s code cache failed (${exit}): ${errors}`);
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
  const preload = /^--require=\.\/(.+)$/.exec(FRONT_DOOR_NODE_OPTIONS)?.[1];
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
