import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FUNCTION_NAMES, type FunctionName } from '../functions/src/config.js';
import { FRONT_DOOR_NODE_OPTIONS } from '../scripts/stack/functions.js';
import { freePort, RECORDING_WORKER_NODE_OPTIONS } from '../scripts/stack/recordings.js';
import { median, report } from './support.js';

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
 * Beside them, in the same run and the same rounds: a process that only starts Node, one that only
 * imports @google-cloud/firestore (and one per SDK the functions load on first use), a
 * functions-framework hello function, and the same hello importing @google-cloud/firestore: the floor
 * of every function, since each loads Firestore at its cold start and the other SDKs on first use.
 * Target: each function within 50 ms of that floor. Every figure comes with the CPU time of all the
 * process's threads to that point (from /proc on Linux): on a shared machine, where other work stretches
 * wall time, it says what the wall time would be with a core to spare. The distance to the floor is
 * given twice: as the difference of the medians, and as the median of each round's difference.
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

/** Two hello functions for the framework's floor: one as small as can be, one importing Firestore. */
function writeHellos(dir: string) {
  const hello = (imports: string) => `${imports}
import * as functions from '@google-cloud/functions-framework';
functions.http('hello', (req, res) => res.send('hello'));
`;
  for (const [name, imports] of [
    ['hello', ''],
    ['hello-firestore', "import '@google-cloud/firestore';"],
  ] as const) {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(join(dir, name, 'package.json'), JSON.stringify({ type: 'module', main: 'index.js' }));
    writeFileSync(join(dir, name, 'index.js'), hello(imports));
  }
}

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

export async function run() {
  checkBuild();
  const scratch = join(root, '.local', `cold-start-${process.pid}`);
  writeHellos(scratch);
  const importOnly = (name: string) => `await import(${JSON.stringify(name)});`;
  const hello = (dir: string) => () =>
    timeToFirstAnswer(scratch, join(scratch, dir), 'hello', 'http', {}, { method: 'GET', path: '/' }, 200);
  const floors = new Map<string, () => Promise<Timing>>([
    ['node', () => timeToExit('')],
    ['firestore_import', () => timeToExit(importOnly('@google-cloud/firestore'))],
    ...SDKS_ON_FIRST_USE.map(
      (sdk) =>
        [
          `${sdk.replace(/^@google-cloud\//, '').replace(/-/g, '_')}_import`,
          () => timeToExit(importOnly(sdk)),
        ] as const,
    ),
    ['hello', hello('hello')],
    ['hello_with_firestore', hello('hello-firestore')],
  ]);
  const functions = new Map(
    FUNCTION_NAMES.map((name) => {
      const { signature, ask, answers } = FUNCTIONS[name];
      // From the package root, where the runtime starts a function (NODE_OPTIONS' preload is relative to it).
      return [
        name,
        () => timeToFirstAnswer(pkg, '.', name, signature, environmentOf(name), ask, answers),
      ] as const;
    }),
  );
  const measures = [...floors, ...functions];
  const times = new Map<string, Timing[]>(measures.map(([name]) => [name, []]));
  try {
    for (const [, measure] of measures) await measure(); // warm the disk cache
    for (let round = 0; round < ROUNDS; round++) {
      // A different order each round, so that drift in the shared machine's load falls on all alike.
      const order = [
        ...measures.slice(round % measures.length),
        ...measures.slice(0, round % measures.length),
      ];
      for (const [name, measure] of order) times.get(name)!.push(await measure());
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const of = (name: string, which: keyof Timing) => times.get(name)!.map((t) => t[which]);
  const ms = (name: string) => median(of(name, 'ms'));
  const cpuMs = (name: string) => median(of(name, 'cpuMs'));
  const built = pkg === root ? 'functions/lib of this checkout (npm run build)' : `functions/lib of ${pkg}`;
  for (const [name] of floors)
    report('cold-start', `${name}_ms`, ms(name), {
      rounds: of(name, 'ms').map(Math.round),
      cpuMs: Math.round(cpuMs(name)),
      cpuRounds: of(name, 'cpuMs').map(Math.round),
    });
  const floor = 'hello_with_firestore';
  // Each round's function minus the same round's floor: the load of a shared machine drifts from one
  // round to the next, and this difference cancels the drift that the difference of medians keeps.
  const pairedOver = (name: string, which: keyof Timing) =>
    median(of(name, which).map((value, round) => value - of(floor, which)[round]!));
  for (const name of FUNCTION_NAMES) {
    const over = ms(name) - ms(floor);
    const cpuOver = cpuMs(name) - cpuMs(floor);
    report('cold-start', `${name}_first_answer_ms`, ms(name), {
      rounds: of(name, 'ms').map(Math.round),
      measures: FUNCTIONS[name].measures,
      built,
      floor,
      floorMs: Math.round(ms(floor)),
      overFloorMs: Math.round(over),
      toFloorRatio: Number((ms(name) / ms(floor)).toFixed(2)),
      toHelloRatio: Number((ms(name) / ms('hello')).toFixed(2)),
      // CPU time to the first answer: what the wall time would be on a machine with a core to spare.
      cpuMs: Math.round(cpuMs(name)),
      cpuRounds: of(name, 'cpuMs').map(Math.round),
      floorCpuMs: Math.round(cpuMs(floor)),
      cpuOverFloorMs: Math.round(cpuOver),
      overFloorPairedMs: Math.round(pairedOver(name, 'ms')),
      cpuOverFloorPairedMs: Math.round(pairedOver(name, 'cpuMs')),
      loadsOnFirstUse: FUNCTIONS[name].onFirstUse,
      target: `within ${TARGET_MS} ms of its floor`,
      verdict: over <= TARGET_MS ? 'within' : 'over',
      cpuVerdict: cpuOver <= TARGET_MS ? 'within' : 'over',
    });
  }
}
