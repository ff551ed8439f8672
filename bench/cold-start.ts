import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
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
 * Each function is timed beside its own floor: a functions-framework hello importing exactly the SDKs
 * that function has loaded by its first answer (found by a first run that records every module the
 * process loads), started with the same V8 flags. Function and floor run back to back in every round,
 * which goes first alternating, and the distance is the median of the rounds' differences with its
 * interquartile range: the load of a shared machine drifts between rounds, and a pair sees the same
 * load. Target: each function within 50 ms of its floor. Every figure comes with the CPU time of all
 * the process's threads to that point (from /proc on Linux): where other work stretches wall time, it
 * says what the wall time would be with a core to spare. For reference, in the same rounds: a process
 * that only starts Node, bare imports of each SDK, and hellos with and without Firestore.
 *
 * BENCH_COLD_START_ROUNDS (default 9) sets the rounds; BENCH_COLD_START_PACKAGE another checkout's
 * root (built, with its node_modules), to time its functions beside this one's floors.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = resolve(process.env.BENCH_COLD_START_PACKAGE ?? root);
const ROUNDS = Number(process.env.BENCH_COLD_START_ROUNDS ?? 9);
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

/**
 * Hello functions, the floors: one importing nothing but the framework, and one per set of SDKs that
 * some function loads by its first answer, importing exactly those. Returns each set's folder.
 */
function writeHellos(dir: string, sdkSets: Iterable<readonly string[]>): Map<string, string> {
  const folders = new Map<string, string>();
  for (const sdks of [[], ['@google-cloud/firestore'], ...sdkSets]) {
    const key = floorKey(sdks);
    if (folders.has(key)) continue;
    const folder = join(dir, `hello-${folders.size}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'package.json'), JSON.stringify({ type: 'module', main: 'index.js' }));
    writeFileSync(
      join(folder, 'index.js'),
      `${sdks.map((sdk) => `import ${JSON.stringify(sdk)};\n`).join('')}import * as functions from '@google-cloud/functions-framework';
functions.http('hello', (req, res) => res.send('hello'));
`,
    );
    folders.set(key, folder);
  }
  return folders;
}

const floorKey = (sdks: readonly string[]) => [...sdks].sort().join(' ');

/**
 * A module preloaded (`--import`) in one run of each function, before the rounds: it writes to
 * RECORD_MODULES_TO every module the process resolves (ECMAScript modules, through a resolve hook)
 * and, when the first answer is written, every CommonJS module loaded so far, then `answered`.
 */
const MODULE_RECORDER = `import { appendFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire, register } from 'node:module';
const out = process.env.RECORD_MODULES_TO;
register('data:text/javascript,' + encodeURIComponent(\`
import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(out, resolved.url + '\\\\n');
  return resolved;
}\`), { data: { out } });
const loaded = createRequire(import.meta.url).cache;
const writeHead = http.ServerResponse.prototype.writeHead;
let answered = false;
http.ServerResponse.prototype.writeHead = function (...args) {
  if (!answered) {
    answered = true;
    appendFileSync(out, Object.keys(loaded).map((file) => file + '\\n').join('') + 'answered\\n');
  }
  return writeHead.apply(this, args);
};
`;

/**
 * The SDKs (the package's dependencies loaded from node_modules, other than the framework every hello
 * loads) whose folder in `nodeModules` holds a module loaded by the first answer, from a recorded run.
 */
export function sdksLoaded(recorded: string, nodeModules: string, dependencies: readonly string[]): string[] {
  const lines = recorded.split('\n');
  const untilAnswer = lines.slice(0, lines.indexOf('answered'));
  const files = untilAnswer.map((line) => (line.startsWith('file://') ? fileURLToPath(line) : line));
  return dependencies
    .filter((name) => name !== '@google-cloud/functions-framework' && !BUNDLED_DEPENDENCIES.has(name))
    .filter((name) => {
      const folder = join(nodeModules, name) + sep;
      return files.some((file) => file.startsWith(folder));
    })
    .sort();
}

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
    .filter((option) => option !== '' && !option.startsWith('--import='))
    .join(' ');

/** The SDKs a function loads by its first answer, from one run with MODULE_RECORDER preloaded. */
async function discoverSdks(name: FunctionName, recorder: string, scratch: string, dependencies: string[]) {
  const { signature, ask, answers } = FUNCTIONS[name];
  const environment = environmentOf(name);
  const recorded = join(scratch, `modules-${name}.txt`);
  await timeToFirstAnswer(
    pkg,
    '.',
    name,
    signature,
    {
      ...environment,
      NODE_OPTIONS: `--import=${recorder} ${environment.NODE_OPTIONS ?? ''}`.trim(),
      RECORD_MODULES_TO: recorded,
    },
    ask,
    answers,
  );
  // Modules are recorded by their real path: node_modules may be a link.
  return sdksLoaded(readFileSync(recorded, 'utf8'), realpathSync(join(pkg, 'node_modules')), dependencies);
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
    const needs = new Map<FunctionName, string[]>();
    for (const name of FUNCTION_NAMES)
      needs.set(name, await discoverSdks(name, recorder, scratch, Object.keys(dependencies)));
    const hellos = writeHellos(scratch, needs.values());
    const hello =
      (sdks: readonly string[], flags = '') =>
      () =>
        timeToFirstAnswer(
          scratch,
          hellos.get(floorKey(sdks))!,
          'hello',
          'http',
          flags === '' ? {} : { NODE_OPTIONS: flags },
          { method: 'GET', path: '/' },
          200,
        );
    const importOnly = (name: string) => `await import(${JSON.stringify(name)});`;
    const references = new Map<string, () => Promise<Timing>>([
      ['node', () => timeToExit('')],
      ['firestore_import', () => timeToExit(importOnly('@google-cloud/firestore'))],
      ...SDKS_ON_FIRST_USE.map(
        (sdk) =>
          [
            `${sdk.replace(/^@google-cloud\//, '').replace(/-/g, '_')}_import`,
            () => timeToExit(importOnly(sdk)),
          ] as const,
      ),
      ['hello', hello([])],
      ['hello_with_firestore', hello(['@google-cloud/firestore'])],
    ]);
    // Each function beside its own floor: a hello importing the SDKs it loaded, with its V8 flags.
    const pairs = FUNCTION_NAMES.map((name) => {
      const { signature, ask, answers } = FUNCTIONS[name];
      const environment = environmentOf(name);
      return {
        name,
        // From the package root, where the runtime starts a function (NODE_OPTIONS' preload is relative to it).
        measure: () => timeToFirstAnswer(pkg, '.', name, signature, environment, ask, answers),
        floor: hello(needs.get(name)!, runtimeFlagsOf(environment.NODE_OPTIONS)),
      };
    });
    for (const [, measure] of references) await measure(); // warm the disk cache
    for (const { floor } of pairs) await floor();
    const times = new Map<string, Timing[]>(
      [...references.keys(), ...pairs.flatMap(({ name }) => [name, `${name}_floor`])].map((name) => [
        name,
        [],
      ]),
    );
    type Step = (round: number) => Promise<void>;
    const steps: Step[] = [
      ...[...references].map(
        ([name, measure]): Step =>
          async () =>
            void times.get(name)!.push(await measure()),
      ),
      ...pairs.map(({ name, measure, floor }, index): Step => async (round) => {
        // Back to back, so that both see the same load; which goes first alternates.
        const functionFirst = (round + index) % 2 === 0;
        const first = await (functionFirst ? measure : floor)();
        const second = await (functionFirst ? floor : measure)();
        times.get(name)!.push(functionFirst ? first : second);
        times.get(`${name}_floor`)!.push(functionFirst ? second : first);
      }),
    ];
    for (let round = 0; round < ROUNDS; round++) {
      // A different order each round, so that drift in the shared machine's load falls on all alike.
      const shift = round % steps.length;
      for (const step of [...steps.slice(shift), ...steps.slice(0, shift)]) await step(round);
    }
    reportTimes(times, [...references.keys()], needs);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Prints the references' figures, then each function's distance to its floor, round by round. */
function reportTimes(times: Map<string, Timing[]>, references: string[], needs: Map<FunctionName, string[]>) {
  const of = (name: string, which: keyof Timing) => times.get(name)!.map((t) => t[which]);
  const built = pkg === root ? 'functions/lib of this checkout (npm run build)' : `functions/lib of ${pkg}`;
  for (const name of references)
    report('cold-start', `${name}_ms`, median(of(name, 'ms')), {
      rounds: of(name, 'ms').map(Math.round),
      cpuMs: Math.round(median(of(name, 'cpuMs'))),
      cpuRounds: of(name, 'cpuMs').map(Math.round),
    });
  for (const name of FUNCTION_NAMES) {
    const floor = `${name}_floor`;
    // Each round's function minus its floor measured back to back: the load of a shared machine
    // drifts from one round to the next, and the pair sees the same load.
    const over = (which: keyof Timing) =>
      of(name, which).map((value, round) => value - of(floor, which)[round]!);
    const cpuOver = over('cpuMs');
    const wallOver = over('ms');
    const flags = runtimeFlagsOf(environmentOf(name).NODE_OPTIONS);
    report('cold-start', `${name}_first_answer_ms`, median(of(name, 'ms')), {
      rounds: of(name, 'ms').map(Math.round),
      measures: FUNCTIONS[name].measures,
      built,
      floor: `hello importing ${['@google-cloud/functions-framework', ...needs.get(name)!].join(', ')}${flags ? ` (${flags})` : ''}`,
      floorMs: Math.round(median(of(floor, 'ms'))),
      // CPU time to the first answer: what the wall time would be on a machine with a core to spare.
      cpuMs: Math.round(median(of(name, 'cpuMs'))),
      cpuRounds: of(name, 'cpuMs').map(Math.round),
      floorCpuMs: Math.round(median(of(floor, 'cpuMs'))),
      floorCpuRounds: of(floor, 'cpuMs').map(Math.round),
      overFloorPairedMs: Math.round(median(wallOver)),
      overFloorPairedIqrMs: interquartile(wallOver),
      cpuOverFloorPairedMs: Math.round(median(cpuOver)),
      cpuOverFloorPairedIqrMs: interquartile(cpuOver),
      cpuOverFloorPairedRounds: cpuOver.map(Math.round),
      loadsOnFirstUse: FUNCTIONS[name].onFirstUse,
      target: `within ${TARGET_MS} ms of its floor`,
      verdict: median(wallOver) <= TARGET_MS ? 'within' : 'over',
      cpuVerdict: median(cpuOver) <= TARGET_MS ? 'within' : 'over',
      cpuUpperQuartileVerdict: quantile(cpuOver, 0.75) <= TARGET_MS ? 'within' : 'over',
    });
  }
}

const interquartile = (values: number[]) => [quantile(values, 0.25), quantile(values, 0.75)].map(Math.round);
