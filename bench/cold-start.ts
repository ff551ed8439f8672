import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { isBuiltin } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FUNCTION_NAMES, type FunctionName } from '../functions/src/config.js';
import { FRONT_DOOR_NODE_OPTIONS } from '../scripts/stack/functions.js';
import { freePort, RECORDING_WORKER_NODE_OPTIONS } from '../scripts/stack/recordings.js';
import { median, quantile, report } from './support.js';

/**
 * `npm run bench -- cold-start`: for each function, the time from spawning its process to the first
 * answered request, as deployed: the built package (functions/lib: run `npm run build` first) started
 * by the functions framework's CLI with the function's FUNCTION_TARGET, its NODE_OPTIONS from
 * infra/functions.tf and a configuration it starts with. A fresh process every round. The request is
 * one its own code answers without I/O, so that what is timed is loading: `GET /healthz` for the api
 * and platformEvents, an unknown path (404 from our router) for the worker, a CloudEvent its handler
 * acknowledges without reading anything for platformEventsPubSub (a poison message) and recordingReady
 * (an event of another type). The sweeper's handler always reads Firestore and Storage, so it is
 * timed to the framework's answer to a GET (404, the handler not run): listening, its module loaded.
 *
 * Each function is timed beside its own floor, a functions-framework hello that loads what the function
 * loads by its first answer, the way it loads it: a CommonJS hello that `require()`s the very entry
 * points our code required by then (the bundles are CommonJS; found by a first run that records every
 * `require` and every module the process loads), started with the same V8 flags. Beside it, for
 * reference, the ES-module hello importing the same SDKs: Node's ES-module loader lexes a CommonJS
 * package's files for their exports, which requiring them does not, so that floor sits higher. The
 * three run back to back in every round, which goes first rotating, and each distance is the median
 * of the rounds' differences with its interquartile range: the load of a shared machine drifts
 * between rounds, and the runs of one round see the same load. Target: each function within 50 ms
 * of its like-for-like (CommonJS) floor. Every figure comes with the CPU time of all
 * the process's threads to that point (from /proc on Linux): where other work stretches wall time, it
 * says what the wall time would be with a core to spare. For reference, in the same rounds: a process
 * that only starts Node, bare imports of each SDK, Firestore required, and hellos with and without
 * Firestore.
 *
 * BENCH_COLD_START_ROUNDS (default 15) sets the rounds; BENCH_COLD_START_PACKAGE another checkout's
 * root (built, with its node_modules), to time its functions beside this one's floors.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = resolve(process.env.BENCH_COLD_START_PACKAGE ?? root);
const ROUNDS = Number(process.env.BENCH_COLD_START_ROUNDS ?? 15);
const TARGET_MS = 50;
const PROJECT = 'demo-bench-cold-start';
const FRAMEWORK_CLI = join(root, 'node_modules/@google-cloud/functions-framework/build/src/main.js');
const SDKS_ON_FIRST_USE = [
  '@google-cloud/tasks',
  '@google-cloud/storage',
  '@google-cloud/pubsub',
  'google-auth-library',
  'jsforce',
] as const;

/** What each function is asked, what it must answer, and the SDKs it loads only on first use. */
const FUNCTIONS: Record<
  FunctionName,
  {
    signature: 'http' | 'cloudevent';
    ask: { method: 'GET' | 'POST'; path: string; headers?: Record<string, string>; body?: string };
    answers: number;
    measures: string;
    onFirstUse: (typeof SDKS_ON_FIRST_USE)[number][];
  }
> = {
  platformEvents: {
    signature: 'http',
    ask: { method: 'GET', path: '/healthz' },
    answers: 200,
    measures: 'GET /healthz answered by its router',
    onFirstUse: ['@google-cloud/tasks'],
  },
  platformEventsPubSub: {
    signature: 'cloudevent',
    ask: cloudEvent('google.cloud.pubsub.topic.v1.messagePublished', {
      message: { data: Buffer.from('not json').toString('base64'), messageId: 'cold-start' },
    }),
    answers: 204,
    measures: 'a poison Pub/Sub message acknowledged by its handler',
    onFirstUse: ['@google-cloud/tasks'],
  },
  api: {
    signature: 'http',
    ask: { method: 'GET', path: '/healthz' },
    answers: 200,
    measures: 'GET /healthz answered by its router',
    onFirstUse: [
      '@google-cloud/tasks',
      '@google-cloud/storage',
      '@google-cloud/pubsub',
      'google-auth-library',
    ],
  },
  recordingReady: {
    signature: 'cloudevent',
    ask: cloudEvent('google.cloud.storage.object.v1.deleted', { bucket: 'acme-recordings', name: 'a.wav' }),
    answers: 204,
    measures: 'a CloudEvent of another type acknowledged by its handler',
    onFirstUse: ['@google-cloud/tasks', '@google-cloud/storage'],
  },
  recordingWorker: {
    signature: 'http',
    ask: { method: 'GET', path: '/healthz' },
    answers: 404,
    measures: 'an unknown path answered 404 by its router',
    onFirstUse: ['@google-cloud/tasks', '@google-cloud/storage', 'google-auth-library', 'jsforce'],
  },
  sweeper: {
    signature: 'cloudevent',
    // The framework routes only POSTs to an event handler; a GET with a body is answered 404 unrun.
    ask: { method: 'GET', path: '/', headers: { 'content-type': 'application/json' }, body: '{}' },
    answers: 404,
    measures:
      'listening with its module loaded (the framework answers a GET 404; a sweep reads Firestore and Storage)',
    onFirstUse: ['@google-cloud/tasks', '@google-cloud/storage'],
  },
  mediaReady: {
    signature: 'cloudevent',
    ask: cloudEvent('google.cloud.storage.object.v1.deleted', { bucket: 'acme-media', name: 'a.png' }),
    answers: 204,
    measures: 'a CloudEvent of another type acknowledged by its handler',
    onFirstUse: ['@google-cloud/storage'],
  },
};

function cloudEvent(type: string, data: unknown) {
  return {
    method: 'POST' as const,
    path: '/',
    headers: {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': 'cold-start',
      'ce-source': '//bench/cold-start',
      'ce-type': type,
    },
    body: JSON.stringify(data),
  };
}

/** The configuration each function starts with; nothing in it is reached by the requests above. */
function environmentOf(name: FunctionName): Record<string, string> {
  const nowhere = 'http://127.0.0.1:9';
  const recordings = {
    RECORDINGS_BUCKET: 'acme-recordings',
    RECORDINGS_QUEUE: `projects/${PROJECT}/locations/europe-west1/queues/recordings`,
    RECORDING_WORKER_URL: `${nowhere}/recording-worker`,
    RECORDING_TASKS_SERVICE_ACCOUNT: `recording-tasks@${PROJECT}.iam.gserviceaccount.com`,
  };
  const nodeOptions = new Map<FunctionName, string>([
    ['platformEvents', FRONT_DOOR_NODE_OPTIONS],
    ['api', FRONT_DOOR_NODE_OPTIONS],
    ['recordingWorker', `${RECORDING_WORKER_NODE_OPTIONS} ${FRONT_DOOR_NODE_OPTIONS}`],
  ]);
  return {
    GOOGLE_CLOUD_PROJECT: PROJECT,
    LOG_LEVEL: 'ERROR',
    ...recordings,
    MEDIA_BUCKET: 'acme-media',
    ...(name === 'platformEvents'
      ? { PLATFORM_SIGNING_SECRET: 'cold-start-secret-0123456789abcdef0123' }
      : {}),
    ...(name === 'recordingWorker'
      ? {
          SALESFORCE_LOGIN_URL: nowhere,
          SALESFORCE_CLIENT_ID: 'cold-start',
          SALESFORCE_USERNAME: 'cold-start@switchboard.test',
          SALESFORCE_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\\nnot read\\n-----END PRIVATE KEY-----',
        }
      : {}),
    ...(nodeOptions.has(name) ? { NODE_OPTIONS: nodeOptions.get(name)! } : {}),
  };
}

/** The build must be newer than every source file: the bench runs what is deployed. */
function checkBuild() {
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((entry) =>
        entry.isDirectory() ? newest(join(dir, entry.name)) : statSync(join(dir, entry.name)).mtimeMs,
      ),
    );
  const built = (() => {
    try {
      return statSync(join(pkg, 'functions/lib/index.js')).mtimeMs;
    } catch {
      return 0;
    }
  })();
  if (built < newest(join(pkg, 'functions/src'))) {
    console.error(
      `cold-start bench: ${pkg}/functions/lib is missing or older than functions/src: run npm run build`,
    );
    process.exit(2);
  }
}

/** A hello's loading: ES-module `import`s, or CommonJS `require()`s, of the modules it names. */
interface HelloLoads {
  as: 'import' | 'require';
  modules: readonly string[];
}

const FRAMEWORK = '@google-cloud/functions-framework';

/** The source of a hello function that loads `modules` as `as` says, then registers with the framework. */
export function helloSource({ as, modules }: HelloLoads): string {
  if (as === 'import')
    return `${modules.map((module) => `import ${JSON.stringify(module)};\n`).join('')}import * as functions from '${FRAMEWORK}';
functions.http('hello', (req, res) => res.send('hello'));
`;
  return `'use strict';
${modules.map((module) => `require(${JSON.stringify(module)});\n`).join('')}require('${FRAMEWORK}').http('hello', (req, res) => res.send('hello'));
`;
}

const helloKey = ({ as, modules }: HelloLoads) =>
  // The order of imports is the loader's; that of requires, kept as the function made them.
  `${as} ${(as === 'import' ? [...modules].sort() : modules).join(' ')}`;

/**
 * Hello functions, the floors: ES modules importing nothing but the framework and Firestore, and one
 * per distinct way some function loads its SDKs by its first answer. Returns each one's folder.
 */
function writeHellos(dir: string, loads: Iterable<HelloLoads>): Map<string, string> {
  const folders = new Map<string, string>();
  const references: HelloLoads[] = [
    { as: 'import', modules: [] },
    { as: 'import', modules: ['@google-cloud/firestore'] },
  ];
  for (const hello of [...references, ...loads]) {
    const key = helloKey(hello);
    if (folders.has(key)) continue;
    const folder = join(dir, `hello-${folders.size}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      join(folder, 'package.json'),
      JSON.stringify({ type: hello.as === 'import' ? 'module' : 'commonjs', main: 'index.js' }),
    );
    writeFileSync(join(folder, 'index.js'), helloSource(hello));
    folders.set(key, folder);
  }
  return folders;
}

/**
 * A module preloaded (`--import`) in one run of each function, before the rounds: it writes to
 * RECORD_MODULES_TO every module the process resolves (ECMAScript modules, through a resolve hook,
 * each after a line `imported`, the importing module and what it asked for, tab-separated) and, when
 * the first answer is written, every `require` made so far (lines `required`, alike), every CommonJS
 * module loaded so far, then `answered`.
 */
const MODULE_RECORDER = `import { appendFileSync } from 'node:fs';
import http from 'node:http';
import Module, { createRequire, register } from 'node:module';
const out = process.env.RECORD_MODULES_TO;
register('data:text/javascript,' + encodeURIComponent(\`
import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const by = context.parentURL ? 'imported\\\\t' + context.parentURL + '\\\\t' + specifier + '\\\\n' : '';
  appendFileSync(out, by + resolved.url + '\\\\n');
  return resolved;
}\`), { data: { out } });
const loaded = createRequire(import.meta.url).cache;
let answered = false;
const required = [];
const requireOf = Module.prototype.require;
Module.prototype.require = function (id) {
  if (!answered) required.push('required\\t' + this.filename + '\\t' + id + '\\n');
  return requireOf.call(this, id);
};
const writeHead = http.ServerResponse.prototype.writeHead;
http.ServerResponse.prototype.writeHead = function (...args) {
  if (!answered) {
    answered = true;
    const files = Object.keys(loaded).map((file) => file + '\\n');
    appendFileSync(out, required.join('') + files.join('') + 'answered\\n');
  }
  return writeHead.apply(this, args);
};
`;

/**
 * The SDKs (the package's dependencies loaded from node_modules, other than the framework every hello
 * loads) whose folder in `nodeModules` holds a module loaded by the first answer, from a recorded run.
 */
export function sdksLoaded(recorded: string, nodeModules: string, dependencies: readonly string[]): string[] {
  const files = recordedUntilAnswer(recorded)
    .filter((line) => !line.includes('\t'))
    .map((line) => (line.startsWith('file://') ? fileURLToPath(line) : line));
  return dependencies
    .filter((name) => name !== '@google-cloud/functions-framework' && !BUNDLED_DEPENDENCIES.has(name))
    .filter((name) => {
      const folder = join(nodeModules, name) + sep;
      return files.some((file) => file.startsWith(folder));
    })
    .sort();
}

/**
 * The packages our code (any module outside a node_modules folder: the function's bundle) required by
 * the first answer, as it asked for them and in the order it first did, from a recorded run: what the
 * like-for-like floor requires. Node's own modules and our code's relative requires are left out. A
 * package our code imported as an ES module is an error: a CommonJS floor would not load it so.
 */
export function entryPointsRequired(recorded: string): string[] {
  const asked = (how: 'required' | 'imported') =>
    recordedUntilAnswer(recorded)
      .filter((line) => line.startsWith(`${how}\t`))
      .map((line) => line.split('\t'))
      .filter(([, by = '', id = '']) => !/[\\/]node_modules[\\/]/.test(by) && isPackage(id))
      .map(([, , id = '']) => id);
  const imported = asked('imported');
  if (imported.length > 0)
    throw new Error(
      `our code imports ${imported.join(', ')} as ES modules: the floor would not load them so`,
    );
  return [...new Set(asked('required'))];
}

/** A package's name or entry point, not Node's own module nor a path or URL. */
const isPackage = (id: string) => !isBuiltin(id) && !/^(\.{0,2}[\\/]|[a-z][\w+.-]*:)/i.test(id);

const recordedUntilAnswer = (recorded: string) => {
  const lines = recorded.split('\n');
  const answered = lines.indexOf('answered');
  if (answered < 0) throw new Error('the recorded run did not answer');
  return lines.slice(0, answered);
};

/** Bundled into functions/lib by scripts/build.ts, so never loaded from node_modules. */
const BUNDLED_DEPENDENCIES = new Set(['zod']);

const env = (extra: Record<string, string>) => ({
  PATH: process.env.PATH ?? '',
  NODE_ENV: 'production',
  METADATA_SERVER_DETECTION: 'none',
  ...extra,
});

/** Wall time, and CPU time of all the process's threads, which the load of a shared machine changes less. */
interface Timing {
  ms: number;
  cpuMs: number;
}

/** From spawning a process that runs `code` to its exit; its CPU time as it reports it last. */
async function timeToExit(code: string): Promise<Timing> {
  const started = performance.now();
  const report = 'const u = process.cpuUsage(); console.log((u.user + u.system) / 1000);';
  const child = spawn(process.execPath, ['--input-type=module', '-e', `${code}\n${report}`], {
    cwd: root,
    env: env({}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let errors = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exit = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ms = performance.now() - started;
  if (exit !== 0) throw new Error(`${code} exited with ${exit}: ${errors}`);
  return { ms, cpuMs: Number(output.trim()) };
}

/** CPU time so far of every thread of a running process, from /proc (Linux), in nanoseconds' precision. */
function cpuMsOf(pid: number): number {
  return readdirSync(`/proc/${pid}/task`).reduce(
    (sum, task) =>
      sum + Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]) / 1e6,
    0,
  );
}

/** Milliseconds from spawning the framework's CLI to the first answer to `ask`, which must be `answers`. */
async function timeToFirstAnswer(
  cwd: string,
  source: string,
  target: string,
  signature: 'http' | 'cloudevent',
  extra: Record<string, string>,
  ask: (typeof FUNCTIONS)[FunctionName]['ask'],
  answers: number,
): Promise<Timing> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [FRAMEWORK_CLI, `--source=${source}`, `--target=${target}`, `--signature-type=${signature}`],
    {
      cwd,
      env: env({ ...extra, FUNCTION_TARGET: target, PORT: String(port) }),
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${target} exited: ${errors}`);
      const status = await send(port, ask).catch(() => undefined);
      if (status !== undefined) {
        const ms = performance.now() - started;
        const cpuMs = cpuMsOf(child.pid!);
        if (status !== answers) throw new Error(`${target} answered ${status}, not ${answers}: ${errors}`);
        return { ms, cpuMs };
      }
      if (performance.now() - started > 60_000) throw new Error(`${target} did not answer: ${errors}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    child.kill();
    await exited;
  }
}

function send(port: number, ask: (typeof FUNCTIONS)[FunctionName]['ask']): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: ask.method,
        path: ask.path,
        headers: {
          ...ask.headers,
          ...(ask.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(ask.body)) }),
        },
        agent: false,
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.once('error', reject);
    req.end(ask.body);
  });
}

/** Node options that are the runtime's (V8 flags), without the modules of ours they preload. */
const runtimeFlagsOf = (nodeOptions: string | undefined) =>
  (nodeOptions ?? '')
    .split(/\s+/)
    .filter((option) => option !== '' && !/^--(import|require)=/.test(option))
    .join(' ');

/**
 * What a function loads by its first answer, from one run with MODULE_RECORDER preloaded: the SDKs
 * (for the ES-module floor) and the entry points its bundle required (for the like-for-like floor).
 */
async function discoverLoads(
  name: FunctionName,
  recorder: string,
  scratch: string,
  dependencies: string[],
): Promise<Floors> {
  const { signature, ask, answers } = FUNCTIONS[name];
  const environment = environmentOf(name);
  const recordedTo = join(scratch, `modules-${name}.txt`);
  await timeToFirstAnswer(
    pkg,
    '.',
    name,
    signature,
    {
      ...environment,
      NODE_OPTIONS: `--import=${recorder} ${environment.NODE_OPTIONS ?? ''}`.trim(),
      RECORD_MODULES_TO: recordedTo,
    },
    ask,
    answers,
  );
  const recorded = readFileSync(recordedTo, 'utf8');
  return {
    likeForLike: { as: 'require', modules: entryPointsRequired(recorded) },
    // Modules are recorded by their real path: node_modules may be a link.
    esModules: {
      as: 'import',
      modules: sdksLoaded(recorded, realpathSync(join(pkg, 'node_modules')), dependencies),
    },
  };
}

/** A function's floors: the hello loading what it loads the way it does, and the ES-module one. */
interface Floors {
  likeForLike: HelloLoads;
  esModules: HelloLoads;
}

export async function run() {
  checkBuild();
  const scratch = join(root, '.local', `cold-start-${process.pid}`);
  mkdirSync(scratch, { recursive: true });
  const recorder = join(scratch, 'record-modules.mjs');
  writeFileSync(recorder, MODULE_RECORDER);
  const { dependencies } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  try {
    // The first run of each function records what it loads, and warms the disk cache for the rounds.
    const floors = new Map<FunctionName, Floors>();
    for (const name of FUNCTION_NAMES)
      floors.set(name, await discoverLoads(name, recorder, scratch, Object.keys(dependencies)));
    const hellos = writeHellos(
      scratch,
      [...floors.values()].flatMap(({ likeForLike, esModules }) => [likeForLike, esModules]),
    );
    const hello =
      (loads: HelloLoads, flags = '') =>
      () =>
        timeToFirstAnswer(
          scratch,
          hellos.get(helloKey(loads))!,
          'hello',
          'http',
          flags === '' ? {} : { NODE_OPTIONS: flags },
          { method: 'GET', path: '/' },
          200,
        );
    const importOnly = (name: string) => `await import(${JSON.stringify(name)});`;
    const requireOnly = (name: string) =>
      `(await import('node:module')).createRequire(process.cwd() + '/')(${JSON.stringify(name)});`;
    const references = new Map<string, () => Promise<Timing>>([
      ['node', () => timeToExit('')],
      ['firestore_import', () => timeToExit(importOnly('@google-cloud/firestore'))],
      ['firestore_require', () => timeToExit(requireOnly('@google-cloud/firestore'))],
      ...SDKS_ON_FIRST_USE.map(
        (sdk) =>
          [
            `${sdk.replace(/^@google-cloud\//, '').replace(/-/g, '_')}_import`,
            () => timeToExit(importOnly(sdk)),
          ] as const,
      ),
      ['hello', hello({ as: 'import', modules: [] })],
      ['hello_with_firestore', hello({ as: 'import', modules: ['@google-cloud/firestore'] })],
    ]);
    // Each function beside its floors, with its V8 flags: the like-for-like one and the ES-module one.
    const kinds = ['', '_floor', '_esm_floor'] as const;
    const triples = FUNCTION_NAMES.map((name) => {
      const { signature, ask, answers } = FUNCTIONS[name];
      const environment = environmentOf(name);
      const flags = runtimeFlagsOf(environment.NODE_OPTIONS);
      const { likeForLike, esModules } = floors.get(name)!;
      return {
        name,
        runs: [
          // From the package root, where the runtime starts a function (NODE_OPTIONS' preload is relative to it).
          () => timeToFirstAnswer(pkg, '.', name, signature, environment, ask, answers),
          hello(likeForLike, flags),
          hello(esModules, flags),
        ],
      };
    });
    for (const [, measure] of references) await measure(); // warm the disk cache
    for (const { runs } of triples) for (const floor of runs.slice(1)) await floor();
    const times = new Map<string, Timing[]>(
      [...references.keys(), ...triples.flatMap(({ name }) => kinds.map((kind) => `${name}${kind}`))].map(
        (name) => [name, []],
      ),
    );
    type Step = (round: number) => Promise<void>;
    const steps: Step[] = [
      ...[...references].map(
        ([name, measure]): Step =>
          async () =>
            void times.get(name)!.push(await measure()),
      ),
      ...triples.map(({ name, runs }, index): Step => async (round) => {
        // Back to back, so that the three see the same load; which goes first rotates.
        for (let turn = 0; turn < runs.length; turn++) {
          const which = (round + index + turn) % runs.length;
          times.get(`${name}${kinds[which]!}`)!.push(await runs[which]!());
        }
      }),
    ];
    for (let round = 0; round < ROUNDS; round++) {
      // A different order each round, so that drift in the shared machine's load falls on all alike.
      const shift = round % steps.length;
      for (const step of [...steps.slice(shift), ...steps.slice(0, shift)]) await step(round);
    }
    reportTimes(times, [...references.keys()], floors);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Prints the references' figures, then each function's distance to its floors, round by round. */
function reportTimes(times: Map<string, Timing[]>, references: string[], floors: Map<FunctionName, Floors>) {
  const of = (name: string, which: keyof Timing) => times.get(name)!.map((t) => t[which]);
  const built = pkg === root ? 'functions/lib of this checkout (npm run build)' : `functions/lib of ${pkg}`;
  for (const name of references)
    report('cold-start', `${name}_ms`, median(of(name, 'ms')), {
      rounds: of(name, 'ms').map(Math.round),
      cpuMs: Math.round(median(of(name, 'cpuMs'))),
      cpuRounds: of(name, 'cpuMs').map(Math.round),
    });
  for (const name of FUNCTION_NAMES) {
    // Each round's function minus its floor measured back to back: the load of a shared machine
    // drifts from one round to the next, and the runs of one round see the same load.
    const over = (floor: string, which: keyof Timing) =>
      of(name, which).map((value, round) => value - of(floor, which)[round]!);
    const cpuOver = over(`${name}_floor`, 'cpuMs');
    const wallOver = over(`${name}_floor`, 'ms');
    const cpuOverEsm = over(`${name}_esm_floor`, 'cpuMs');
    const flags = runtimeFlagsOf(environmentOf(name).NODE_OPTIONS);
    const described = ({ as, modules }: HelloLoads) =>
      `${as === 'require' ? 'CommonJS hello requiring' : 'ES-module hello importing'} ${[...modules, ...(modules.includes(FRAMEWORK) ? [] : [FRAMEWORK])].join(', ')}${flags ? ` (${flags})` : ''}`;
    const { likeForLike, esModules } = floors.get(name)!;
    report('cold-start', `${name}_first_answer_ms`, median(of(name, 'ms')), {
      rounds: of(name, 'ms').map(Math.round),
      measures: FUNCTIONS[name].measures,
      built,
      floor: described(likeForLike),
      floorMs: Math.round(median(of(`${name}_floor`, 'ms'))),
      // CPU time to the first answer: what the wall time would be on a machine with a core to spare.
      cpuMs: Math.round(median(of(name, 'cpuMs'))),
      cpuRounds: of(name, 'cpuMs').map(Math.round),
      floorCpuMs: Math.round(median(of(`${name}_floor`, 'cpuMs'))),
      floorCpuRounds: of(`${name}_floor`, 'cpuMs').map(Math.round),
      overFloorPairedMs: Math.round(median(wallOver)),
      overFloorPairedIqrMs: interquartile(wallOver),
      cpuOverFloorPairedMs: Math.round(median(cpuOver)),
      cpuOverFloorPairedIqrMs: interquartile(cpuOver),
      cpuOverFloorPairedRounds: cpuOver.map(Math.round),
      esmFloor: described(esModules),
      esmFloorCpuMs: Math.round(median(of(`${name}_esm_floor`, 'cpuMs'))),
      cpuOverEsmFloorPairedMs: Math.round(median(cpuOverEsm)),
      cpuOverEsmFloorPairedIqrMs: interquartile(cpuOverEsm),
      loadsOnFirstUse: FUNCTIONS[name].onFirstUse,
      target: `within ${TARGET_MS} ms of its like-for-like floor`,
      verdict: median(wallOver) <= TARGET_MS ? 'within' : 'over',
      cpuVerdict: median(cpuOver) <= TARGET_MS ? 'within' : 'over',
      cpuUpperQuartileVerdict: quantile(cpuOver, 0.75) <= TARGET_MS ? 'within' : 'over',
    });
  }
}

const interquartile = (values: number[]) => [quantile(values, 0.25), quantile(values, 0.75)].map(Math.round);
