import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES, type FunctionName } from '../../functions/src/config.js';
import { FUNCTION_MODULES } from '../../functions/src/entry-points.js';
import { REQUEST_BODY_LIMITS } from '../../functions/src/http/front-door.js';
import { buildFunctions } from '../../scripts/build.js';
import { FRONT_DOOR_NODE_OPTIONS } from '../../scripts/stack/functions.js';
import { RECORDING_WORKER_NODE_OPTIONS } from '../../scripts/stack/recordings.js';

/**
 * The deployed build (npm run build, which gcp-build runs): each function starts from it, with the
 * NODE_OPTIONS it is deployed with, and registers itself with the functions framework; our code and
 * zod come from the build's few bundled files, never from a hundred modules of functions/src or
 * node_modules/zod, whose resolution and loading a cold start would otherwise pay for.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const build = join(root, '.local', `build-${randomBytes(4).toString('hex')}`);

/** Node's module hooks, recording every module resolved (the loader's own thread appends to a file). */
const RECORD_MODULES = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.RECORD_MODULES_TO, resolved.url + '\\\\n');
  return resolved;
}\`));`,
)}`;

/** What each function cannot start without; nothing here is reached, since no request is made. */
function environmentOf(name: FunctionName, recordTo: string): Record<string, string> {
  const nowhere = 'http://127.0.0.1:9';
  const project = 'demo-build';
  return {
    PATH: process.env.PATH ?? '',
    METADATA_SERVER_DETECTION: 'none',
    FUNCTION_TARGET: name,
    GOOGLE_CLOUD_PROJECT: project,
    LOG_LEVEL: 'ERROR',
    RECORDINGS_BUCKET: 'acme-recordings',
    MEDIA_BUCKET: 'acme-media',
    RECORDINGS_QUEUE: `projects/${project}/locations/europe-west1/queues/recordings`,
    RECORDING_WORKER_URL: `${nowhere}/recording-worker`,
    RECORDING_TASKS_SERVICE_ACCOUNT: `recording-tasks@${project}.iam.gserviceaccount.com`,
    PLATFORM_SIGNING_SECRET: 'build-test-secret-0123456789abcdef0123456',
    SALESFORCE_LOGIN_URL: nowhere,
    SALESFORCE_CLIENT_ID: 'build-test',
    SALESFORCE_USERNAME: 'build-test@switchboard.test',
    SALESFORCE_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\\nnot read\\n-----END PRIVATE KEY-----',
    RECORD_MODULES_TO: recordTo,
    // The hooks first, so that they see the front door's modules too.
    NODE_OPTIONS: [
      `--import=${RECORD_MODULES}`,
      ...(name === 'recordingWorker' ? [RECORDING_WORKER_NODE_OPTIONS] : []),
      ...(REQUEST_BODY_LIMITS.has(name) ? [FRONT_DOOR_NODE_OPTIONS] : []),
    ].join(' '),
  };
}

/** The framework's own loader, which its CLI loads a function's package with. */
const FRAMEWORK_LOADER = join(root, 'node_modules/@google-cloud/functions-framework/build/src/loader.js');

/**
 * Starts `name` from the build's main, loaded by the framework's loader as its CLI does, asks it
 * `GET /healthz`, and lists what it loaded (ES modules through the hooks, CommonJS modules from the
 * require cache), what was loaded as an ES module by the time the function was registered, its
 * answer's status, what it logged, and how many zod schemas and checks it had built by its answer
 * (counted through zod's global post-processor, which the bundled zod shares through `globalThis`).
 */
async function start(name: FunctionName): Promise<{
  loaded: string[];
  imported: string[];
  status: number;
  logged: string;
  schemasBuilt: number;
}> {
  const recordTo = join(build, `${name}.modules`);
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
const { getUserFunction } = createRequire(import.meta.url)(${JSON.stringify(FRAMEWORK_LOADER)});
let schemasBuilt = 0;
globalThis.__zod_globalConfig = { postProcessor: () => (schemasBuilt += 1) };
if (!(await getUserFunction(${JSON.stringify(build)}, ${JSON.stringify(name)}, 'http'))) process.exit(3);
appendFileSync(process.env.RECORD_MODULES_TO, 'required by now\\n');
const { getTestServer } = await import('@google-cloud/functions-framework/testing');
const server = getTestServer(${JSON.stringify(name)});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { status } = await fetch(\`http://127.0.0.1:\${server.address().port}/healthz\`);
server.close();
const required = Object.keys(createRequire(import.meta.url).cache).map((file) => pathToFileURL(file).href);
appendFileSync(process.env.RECORD_MODULES_TO, required.join('\\n') + '\\nschemas ' + schemasBuilt + '\\nstatus ' + status);
process.exit(0);`,
    ],
    { cwd: build, env: environmentOf(name, recordTo), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let logged = '';
  let errors = '';
  child.stdout!.on('data', (chunk: Buffer) => (logged += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exit = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(exit, errors).toBe(0);
  const lines = readFileSync(recordTo, 'utf8').trim().split('\n');
  const imported = lines.slice(0, lines.indexOf('required by now'));
  return {
    loaded: lines.slice(0, -2).filter((line) => line !== 'required by now'),
    imported,
    status: Number(lines.at(-1)!.replace('status ', '')),
    logged,
    schemasBuilt: Number(lines.at(-2)!.replace('schemas ', '')),
  };
}

/**
 * What a cold start may build of zod schemas and checks (each costs CPU, and zod's first use of each
 * kind more): the configuration's 123, which every function parses at its start, and the few shared
 * building blocks (identifiers, enums) that other schemas are made of. Request, event and settings
 * schemas are built on their first parse.
 */
const CONFIGURATION_SCHEMAS = 123;
const SCHEMAS_AT_COLD_START = new Map<FunctionName, number>([
  ['platformEvents', 260],
  ['platformEventsPubSub', 240],
  ['api', 304],
  ['recordingReady', 190],
  ['recordingWorker', 240],
  ['sweeper', 190],
]);

beforeAll(async () => {
  mkdirSync(build, { recursive: true });
  copyFileSync(join(root, 'package.json'), join(build, 'package.json'));
  await buildFunctions(join(build, 'functions/lib'));
}, 60_000);

afterAll(() => rmSync(build, { recursive: true, force: true }));

describe('the deployed build', () => {
  it.each(FUNCTION_NAMES)(
    '%s starts from it, loading our code and zod from its main and bundle, all CommonJS, its code cache accepted',
    async (name) => {
      const { loaded: all, imported, logged } = await start(name);
      const loaded = [...new Set(all)];
      const ours = loaded.filter((url) => url.startsWith(pathToFileURL(build).href));
      expect(loaded.filter((url) => url.includes('/node_modules/zod/'))).toEqual([]);
      expect(loaded.filter((url) => url.includes('/functions/src/'))).toEqual([]);
      expect(ours.every((url) => url.startsWith(pathToFileURL(join(build, 'functions/lib/')).href))).toBe(
        true,
      );
      // The main, and the front door where the function has one (its bundle is compiled from its
      // code cache, not loaded as a module), against 39 to 74 of ours when each file of functions/src
      // was compiled alone; all of them CommonJS, which Node loads without its ES-module loader.
      const lib = (file: string) => pathToFileURL(join(build, 'functions/lib', file)).href;
      expect(ours.sort()).toEqual(
        [
          lib('index.js'),
          ...(REQUEST_BODY_LIMITS.has(name) ? [lib('http/front-door-preload.js')] : []),
        ].sort(),
      );
      expect(imported.filter((url) => url.startsWith(pathToFileURL(build).href))).toEqual([]);
      expect(logged).not.toContain('code_cache_rejected');
    },
    60_000,
  );

  it.each([...SCHEMAS_AT_COLD_START])(
    '%s builds at most %i zod schemas and checks by its first answer: its configuration, and the rest on first use',
    async (name, most) => {
      const { schemasBuilt } = await start(name);
      // Over the budget: a schema is built at import that could be built on its first parse (z.lazy).
      expect(schemasBuilt).toBeGreaterThan(CONFIGURATION_SCHEMAS);
      expect(schemasBuilt).toBeLessThanOrEqual(most);
    },
    60_000,
  );

  it.each(FUNCTION_NAMES)(
    "%s's code cache is one V8 accepts under the flags the function is deployed with",
    async (name) => {
      const flags = name === 'recordingWorker' ? RECORDING_WORKER_NODE_OPTIONS.split(' ') : [];
      expect(await cacheRejected(name, flags)).toBe(false);
      // A cache is only good for the flags it was made with: the check can tell.
      expect(await cacheRejected(name, name === 'recordingWorker' ? [] : ['--stack-size=2000'])).toBe(true);
    },
    60_000,
  );

  it.each([
    [
      'corrupt',
      (cache: Buffer) => Buffer.concat([cache.subarray(0, 64), Buffer.alloc(cache.length - 64, 7)]),
    ],
    ['made for another bundle', () => readFileSync(bundleOf('sweeper') + '.code-cache')],
  ])(
    'with a code cache that is %s, the api still answers, and the rejection is logged',
    async (_, spoil) => {
      const cache = bundleOf('api') + '.code-cache';
      const good = readFileSync(cache);
      writeFileSync(cache, spoil(good));
      try {
        const { status, logged } = await start('api');
        expect(status).toBe(200);
        expect(logged).toContain('"event":"code_cache_rejected"');
        expect(logged).toContain('"bundle":"api.cjs"');
      } finally {
        writeFileSync(cache, good);
      }
    },
    60_000,
  );
});

/** The built bundle that each function's module runs. */
function bundleOf(name: FunctionName): string {
  return join(build, 'functions/lib', FUNCTION_MODULES.get(name)!.replace(/\.js$/, '.cjs'));
}

/** Whether V8, started with `flags`, rejects the code cache of `name`'s bundle. */
async function cacheRejected(name: FunctionName, flags: string[]): Promise<boolean> {
  const runner = pathToFileURL(join(build, 'functions/lib/function-bundle.js')).href;
  const bundle = bundleOf(name);
  const child = spawn(
    process.execPath,
    [
      ...flags,
      '--input-type=module',
      '-e',
      `import { readFileSync } from 'node:fs';
import { codeCacheOf, compileBundle } from ${JSON.stringify(runner)};
const bundle = ${JSON.stringify(bundle)};
console.log(compileBundle(bundle, readFileSync(codeCacheOf(bundle))).cacheRejected);`,
    ],
    { cwd: build, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(exit).toBe(0);
  return JSON.parse(output.trim()) as boolean;
}
