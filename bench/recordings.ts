import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { Firestore } from '@google-cloud/firestore';
import { Storage } from '@google-cloud/storage';
import { JWT_BEARER_GRANT, privateKeyFrom, signAssertion } from '../functions/src/adapters/salesforce/jwt.js';
import {
  MEGABYTE,
  PART_SIZE_BYTES,
  planIdFor,
  type RecordingPlan,
} from '../functions/src/domain/recordings/plan.js';
import { startSalesforceServer, type SalesforceServer } from '../local-servers/salesforce.js';
import type { StoredObjectMetadata } from '../local-servers/storage.js';
import { startTasksServer, type AttemptRecord, type TasksServer } from '../local-servers/tasks.js';
import {
  LOCAL_SALESFORCE,
  RECORDING_WORKER_NODE_OPTIONS,
  connectedAppKeys,
  createBucketAndQueue,
  finalizeNotifier,
  freePort,
  recordingsEnvironment,
  type RecordingsStackOptions,
} from '../scripts/stack/recordings.js';
import { recordingBytes } from '../scripts/stack/recording-bytes.js';
import { median, report, withFirestoreEmulator } from './support.js';

/**
 * Call recordings through the whole pipeline, 200 MB and 1 GB (10^6 bytes): the object is written to
 * our Storage server, its finalize notification goes to recordingReady (which plans from the object's
 * metadata), whose tasks go through our Cloud Tasks server to recordingWorker (which reads each 50 MB
 * part, hashing it, and sends it to the Salesforce-compatible server, then deletes the object). Timed from the finalize to the plan's `deletedAt`, as MB/s, next to one plain HTTP upload
 * of the same bytes to the same server in the same run (bench/recordings-functions.ts `upload`). Every
 * upload is checked: the parts' sizes and MD5s as Salesforce stored them, one attempt per task.
 *
 * recordingReady and recordingWorker each run in a child process of their own
 * (bench/recordings-functions.ts), so that the worker's memory is its own. The worker's peak memory
 * growth is exact, not sampled: a fresh worker process per measured recording serves a 1 MB recording
 * first (so jsforce, the Storage and Tasks clients are loaded and logged in), then its resident size is
 * read (VmRSS) and its high-water mark reset to it (`5` to /proc/<pid>/clear_refs); after the recording,
 * growth = VmHWM − that VmRSS. A fresh process per recording, because a reused one would start the next
 * recording with the previous one's retained heap counted in its baseline, which flatters the growth.
 *
 * The sender of the baseline is a child process too, as the worker is; both send to the same server,
 * in this process. The Storage server runs in a child process of its own (Cloud Storage is a service
 * of its own): here it would share one thread with the CRM server and slow the pipeline, not the
 * baseline, down. The CPU seconds of each process are reported with the breakdown, and the whole
 * machine's (`pipeline_cpu_s`): with what the pipeline's processes need, and the machine's cores, the
 * best ratio it could reach. The worker runs with the node options it is deployed with.
 *
 * Three relays of the same parts in the same run (`relayUpload`) show where the rest goes: what a
 * second hop costs on this machine (the Storage server, the relay and the CRM server share its cores),
 * with and without the MD5, and what our state and queue cost over our own adapters.
 *
 * BENCH_RECORDINGS_SIZES (comma-separated byte counts) and BENCH_RECORDINGS_ROUNDS override the sizes
 * and the rounds (3), to try the benchmark quickly; BENCH_RECORDINGS_NODE_ARGS are given to the child
 * processes' node (`--cpu-prof --cpu-prof-dir=/tmp/prof` to see where their time goes).
 */
const SIZES = (process.env.BENCH_RECORDINGS_SIZES ?? '200000000,1000000000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_RECORDINGS_ROUNDS ?? 3);
const PROJECT = 'demo-bench-recordings';
const DATABASE = 'bench-recordings';
const BUCKET = 'bench-recordings';
/** The relays' copy of each recording: outside the recordings bucket, so that nobody plans it. */
const RELAY_BUCKET = 'bench-relay';
const WARM_UP_BYTES = 1_000_000;
/** The worker's memory target: one part in flight plus 32 MB, whatever the recording's size. */
const LIMIT_BYTES = PART_SIZE_BYTES + 32 * MEGABYTE;
const RATIO_TARGET = 0.7;
/**
 * The target against the `md5` relay: the least work REC needs (read from Storage, hash,
 * send to the CRM) in a process that does nothing else, so the ratio is our own overhead.
 */
const RELAY_RATIO_TARGET = 0.8;
/**
 * How often the plan is read while waiting. The times come from the plan's own timestamps, not from
 * the polling, and this process is also the CRM server: polling more often only takes its CPU.
 */
const POLL_MS = 500;
const CASE_ID = LOCAL_SALESFORCE.caseId;
const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'recordings-functions.ts');
const CHILD_NODE_ARGS = (process.env.BENCH_RECORDINGS_NODE_ARGS ?? '').split(' ').filter(Boolean);
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

const mb = (bytes: number) => bytes / MEGABYTE;
const round1 = (n: number) => Math.round(n * 10) / 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Source {
  path: string;
  sizeBytes: number;
  /** Per 50 MB part, base64, as the plan must have them once every part is acknowledged. */
  partMd5s: string[];
  partSizes: number[];
  md5Hex: string;
}

/** Writes the recording to a file (the bytes of every upload of this size), hashing it on the way. */
async function writeSource(dir: string, seed: number, sizeBytes: number): Promise<Source> {
  const path = join(dir, `recording-${sizeBytes}.wav`);
  const whole = createHash('md5');
  const partMd5s: string[] = [];
  const partSizes: number[] = [];
  let part = createHash('md5');
  let filled = 0;
  function* hashed() {
    for (const chunk of recordingBytes(seed, 0, sizeBytes)) {
      whole.update(chunk);
      for (let offset = 0; offset < chunk.length;) {
        const take = Math.min(PART_SIZE_BYTES - filled, chunk.length - offset);
        part.update(chunk.subarray(offset, offset + take));
        offset += take;
        filled += take;
        if (filled === PART_SIZE_BYTES) {
          partMd5s.push(part.digest('base64'));
          partSizes.push(filled);
          part = createHash('md5');
          filled = 0;
        }
      }
      yield chunk;
    }
    if (filled > 0) {
      partMd5s.push(part.digest('base64'));
      partSizes.push(filled);
    }
  }
  await pipeline(Readable.from(hashed(), { objectMode: false }), createWriteStream(path), {
    signal: interrupted.signal,
  });
  if (partMd5s.length !== Math.ceil(sizeBytes / PART_SIZE_BYTES)) throw new Error('source: wrong part count');
  return { path, sizeBytes, partMd5s, partSizes, md5Hex: whole.digest('hex') };
}

// --- child processes --------------------------------------------------------------------------------

interface Child {
  pid: number;
  /** The line the child printed when ready (serve), or its answer (upload). */
  line: Record<string, unknown>;
  exited: Promise<number | null>;
  running(): boolean;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
// Last resort, should this process end without its `finally` blocks: no child outlives it.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * Ctrl-C (or SIGTERM) stops the benchmark through its `finally` blocks, so that the emulator, the
 * servers, the children and the scratch files go too; a second one exits at once.
 */
let interrupted = new AbortController();
function onSignal(signal: NodeJS.Signals) {
  if (interrupted.signal.aborted) process.exit(130);
  console.error(`recordings bench: ${signal}, cleaning up (again to exit at once)`);
  interrupted.abort(new Error(`interrupted by ${signal}`));
  for (const child of children) child.kill('SIGTERM');
}

function startChild(
  args: string[],
  env: Record<string, string>,
  waitFor: string,
  timeoutMs = 120_000,
  onLine?: (line: Record<string, unknown>) => void,
) {
  const inherited = { ...process.env };
  delete inherited.FUNCTION_TARGET;
  const child = spawn(process.execPath, [...CHILD_NODE_ARGS, '--import', 'tsx', CHILD, ...args], {
    env: { ...inherited, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr.push(chunk.toString());
    if (stderr.length > 100) stderr.shift();
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (!running()) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  };
  return new Promise<Child>((resolve, reject) => {
    let buffered = '';
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      void stop();
      reject(new Error(`${args.join(' ')}: no answer within ${timeoutMs / 1000} s\n${stderr.join('')}`));
    }, timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const text = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        let line: Record<string, unknown> | undefined;
        try {
          line = JSON.parse(text) as Record<string, unknown>;
        } catch {
          line = undefined;
        }
        if (line && waitFor in line && !done) {
          done = true;
          clearTimeout(timer);
          resolve({ pid: child.pid!, line, exited, stop, running });
        } else if (line && onLine) {
          onLine(line);
        } else if (line?.severity) {
          // The functions' own warnings and errors (LOG_LEVEL=WARNING): a benchmark should have none.
          process.stderr.write(`[${args[1]}] ${text}\n`);
        }
      }
    });
    void exited.then((code) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code}:\n${stderr.join('')}`));
    });
  });
}

/** Resident and peak resident size of a process, in bytes. */
function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Resets the peak resident size (VmHWM) to the current one (Linux ≥ 4.0). */
const resetPeak = (pid: number) => writeFileSync(`/proc/${pid}/clear_refs`, '5');

/** User + system CPU seconds a process has used so far. */
function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/**
 * CPU seconds of the whole machine so far (/proc/stat): busy (user, nice, system, irq, softirq) and
 * stolen by the hypervisor (a sign that the machine's neighbours are taking its cores).
 */
function machineCpu(): { busy: number; steal: number } {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n', 1)[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return { busy: (user! + nice! + system! + irq! + softirq!) / CLOCK_TICKS, steal: steal! / CLOCK_TICKS };
}
const CORES = availableParallelism();

const ownCpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

// --- the stack --------------------------------------------------------------------------------------

interface Finalized {
  generation: string;
  at: number;
  benchCpu: number;
  machine: { busy: number; steal: number };
}

interface Stack {
  db: Firestore;
  gcs: Storage;
  storage: { url: string };
  tasks: TasksServer;
  salesforce: SalesforceServer;
  /** Epoch ms of each object's finalize, and this process's CPU seconds then, by name. */
  finalized: Map<string, Finalized>;
  env: Record<string, string>;
  workerPort: number;
  ready: Child;
  accessToken: string;
}

async function accessTokenFor(salesforce: SalesforceServer, privateKeyPem: string): Promise<string> {
  const assertion = signAssertion(
    privateKeyFrom(privateKeyPem),
    { clientId: LOCAL_SALESFORCE.clientId, username: LOCAL_SALESFORCE.username, audience: salesforce.url },
    new Date(),
  );
  const res = await fetch(`${salesforce.url}/services/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }),
  });
  if (!res.ok) throw new Error(`token: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

async function withStack<T>(work: (stack: Stack) => Promise<T>): Promise<T> {
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const keys = connectedAppKeys();
    const notifier = finalizeNotifier();
    const finalized = new Map<string, Finalized>();
    const storageChild = await startChild(['storage'], {}, 'storage', 120_000, (line) => {
      const object = line.finalized as StoredObjectMetadata | undefined;
      if (!object) return;
      finalized.set(object.name, {
        generation: object.generation,
        at: Date.now(),
        benchCpu: ownCpuSeconds(),
        machine: machineCpu(),
      });
      notifier.onFinalize(object);
    });
    cleanups.push(() => storageChild.stop());
    const storage = { url: String(storageChild.line.storage) };
    // Nothing should be retried: a retry waits out the queue's 10 s backoff, and fails the check below.
    const tasks = await startTasksServer({ timeScale: 1 });
    cleanups.push(() => tasks.close());
    const salesforce = await startSalesforceServer({
      publicKeyPem: keys.publicKeyPem,
      clientId: LOCAL_SALESFORCE.clientId,
      username: LOCAL_SALESFORCE.username,
      apiLimit: 1_000_000_000,
    });
    cleanups.push(() => salesforce.close());
    const workerPort = await freePort();
    const options: RecordingsStackOptions = {
      projectId: PROJECT,
      bucket: BUCKET,
      storageUrl: storage.url,
      tasks,
      salesforce,
      privateKeyPem: keys.privateKeyPem,
      workerPort,
    };
    await createBucketAndQueue(options);
    const env: Record<string, string> = {
      ...recordingsEnvironment(options),
      GOOGLE_CLOUD_PROJECT: PROJECT,
      FIRESTORE_EMULATOR_HOST: process.env.FIRESTORE_EMULATOR_HOST!,
      FIRESTORE_DATABASE_ID: DATABASE,
      METADATA_SERVER_DETECTION: 'none',
      LOG_LEVEL: 'WARNING',
    };
    const db = new Firestore({ projectId: PROJECT, databaseId: DATABASE });
    cleanups.push(() => db.terminate());
    const gcs = new Storage({ apiEndpoint: storage.url, projectId: PROJECT });

    const ready = await startChild(
      ['serve', 'recordingReady', String(await freePort())],
      { ...env, FUNCTION_TARGET: 'recordingReady' },
      'served',
    );
    cleanups.push(() => ready.stop());
    notifier.deliverTo(String(ready.line.url));

    const accessToken = await accessTokenFor(salesforce, keys.privateKeyPem);
    return await work({
      db,
      gcs,
      storage,
      tasks,
      salesforce,
      finalized,
      env,
      workerPort,
      ready,
      accessToken,
    });
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((e: unknown) => console.error(e));
  }
}

const startWorker = (stack: Stack) =>
  startChild(
    ['serve', 'recordingWorker', String(stack.workerPort)],
    // As deployed (infra/functions.tf), after any node options of the benchmark's own.
    {
      ...stack.env,
      FUNCTION_TARGET: 'recordingWorker',
      NODE_OPTIONS: [process.env.NODE_OPTIONS, RECORDING_WORKER_NODE_OPTIONS].filter(Boolean).join(' '),
    },
    'served',
  );

// --- one recording through the pipeline -------------------------------------------------------------

interface PipelineRun {
  planId: string;
  /** This process's CPU seconds from the finalize to the end. */
  benchCpu: number;
  /** The whole machine's busy and stolen CPU seconds, from the finalize to the plan's end. */
  machineCpu: { busy: number; steal: number };
  totalMs: number;
  planningMs: number;
  uploadMs: number;
  /** From one part's acknowledgement to the next's (the first from the plan): a part's whole turn. */
  partMs: number[];
  deleteMs: number;
  /** The upload task, from its dispatch to the worker's answer. */
  taskMs: number;
  /** The upload task, from its creation to its dispatch. */
  taskQueueWaitMs: number;
  /** CRM API requests for the recording, as the plan counted them. */
  crmCalls: { logins: number; lookups: number; inserts: number };
  /** What the CRM server saw meanwhile: API requests, and token requests. */
  crmServer: { apiRequests: number; tokens: number };
}

async function throughPipeline(
  stack: Stack,
  worker: Child,
  source: Source,
  label: string,
): Promise<PipelineRun> {
  const sessionId = `bench-${label}-${randomUUID().slice(0, 8)}`;
  const name = `recordings/${sessionId}/call-${label}.wav`;
  // The call is linked to its case before the recording arrives, as the platform does it.
  await stack.db.doc(`sessions/${sessionId}`).set({
    id: sessionId,
    kind: 'call',
    crm: { system: 'salesforce', recordId: CASE_ID },
  });
  await pipeline(
    createReadStream(source.path),
    stack.gcs
      .bucket(BUCKET)
      .file(name)
      .createWriteStream({ resumable: true, contentType: 'audio/wav', validation: false }),
    { signal: interrupted.signal },
  );
  const finalize = stack.finalized.get(name);
  if (!finalize) throw new Error(`${name}: no finalize notification`);
  const crmServerBefore = {
    apiRequests: stack.salesforce.apiUsage().used,
    tokens: stack.salesforce.tokensIssued(),
  };
  const planId = planIdFor({ bucket: BUCKET, name, generation: finalize.generation });

  const deadline = Date.now() + 120_000 + (source.sizeBytes / MEGABYTE) * 1000; // ≥ 1 MB/s
  let plan: RecordingPlan | undefined;
  for (;;) {
    interrupted.signal.throwIfAborted();
    plan = (await stack.db.doc(`recordings/${planId}`).get()).data() as RecordingPlan | undefined;
    if (plan && plan.status !== 'uploading' && plan.status !== 'uploaded') break;
    // Fail at once rather than wait out a retry's backoff (or a dead worker) until the deadline.
    for (const [what, child] of Object.entries({ recordingReady: stack.ready, recordingWorker: worker }))
      if (!child.running()) throw new Error(`${name}: ${what} exited`);
    for (const part of plan?.parts ?? []) {
      const failed = stack.tasks
        .attempts(`part-${planId}-r0-p${part.index}`)
        .find((a) => a.outcome !== 'succeeded');
      if (failed) throw new Error(`${name}: part ${part.index} was not delivered: ${JSON.stringify(failed)}`);
    }
    if (Date.now() > deadline)
      throw new Error(`${name}: not delivered in time; plan ${JSON.stringify(plan ?? null).slice(0, 2000)}`);
    await sleep(POLL_MS);
  }
  const machineAtEnd = machineCpu();
  const crmServer = {
    apiRequests: stack.salesforce.apiUsage().used - crmServerBefore.apiRequests,
    tokens: stack.salesforce.tokensIssued() - crmServerBefore.tokens,
  };
  if (plan.status !== 'deleted')
    throw new Error(`${name}: plan ended ${plan.status}: ${JSON.stringify(plan).slice(0, 2000)}`);

  // One task carried every part, from one to the next, and answered once, 200: nothing was retried
  // (a retry would also have cost ≥ 10 s), and no part needed a task of its own.
  const task = `part-${planId}-r0-p0`;
  let attempts = stack.tasks.attempts(task);
  for (let wait = 0; attempts.length === 0 && wait < 100; wait++) {
    await sleep(20);
    attempts = stack.tasks.attempts(task);
  }
  if (attempts.length !== 1 || attempts[0]!.status !== 200)
    throw new Error(`${task}: expected one attempt answered 200, got ${JSON.stringify(attempts)}`);
  const partTask: AttemptRecord = attempts[0]!;
  for (let i = 1; i < plan.parts.length; i++)
    if (stack.tasks.attempts(`part-${planId}-r0-p${i}`).length > 0)
      throw new Error(`${name}: part ${i} had a task of its own`);
  verifyDelivery(stack.salesforce, plan, source);

  const benchCpu = ownCpuSeconds() - finalize.benchCpu;
  const uploads = plan.parts.map((p) => Date.parse(p.uploaded!.at));
  const planned = Date.parse(plan.plannedAt);
  const lastUpload = Math.max(...uploads);
  const deleted = Date.parse(plan.deletedAt!);
  return {
    planId,
    benchCpu,
    machineCpu: {
      busy: machineAtEnd.busy - finalize.machine.busy,
      steal: machineAtEnd.steal - finalize.machine.steal,
    },
    totalMs: deleted - finalize.at,
    planningMs: planned - finalize.at,
    uploadMs: lastUpload - planned,
    partMs: uploads.map((at, i) => at - (i === 0 ? planned : uploads[i - 1]!)),
    deleteMs: deleted - lastUpload,
    taskMs: partTask.responseTime - partTask.dispatchTime,
    taskQueueWaitMs: partTask.dispatchTime - partTask.scheduleTime,
    crmCalls: plan.crmCalls ?? { logins: 0, lookups: 0, inserts: 0 },
    crmServer,
  };
}

/** A benchmark that uploads wrong bytes must fail: sizes and MD5s as Salesforce stored them. */
function verifyDelivery(salesforce: SalesforceServer, plan: RecordingPlan, source: Source) {
  const fail = (what: string) => {
    throw new Error(`${plan.object.name}: ${what}`);
  };
  if (plan.object.sizeBytes !== source.sizeBytes) fail(`plan size ${plan.object.sizeBytes}`);
  if (plan.parts.map((p) => p.md5Base64).join() !== source.partMd5s.join())
    fail('the plan has other part MD5s than the bytes written');
  checkStoredParts(salesforce, plan.id, source, fail);
}

/** The CRM has every part of the source under `<keyPrefix>:<i>`, in order, on the case: sizes and MD5s. */
function checkStoredParts(
  salesforce: SalesforceServer,
  keyPrefix: string,
  source: Source,
  fail: (what: string) => never,
) {
  const files = salesforce.files().filter((f) => f.Recording_Part_Key__c?.startsWith(`${keyPrefix}:`));
  if (files.length !== source.partMd5s.length)
    fail(`Salesforce has ${files.length} files, expected ${source.partMd5s.length}`);
  files.forEach((file, i) => {
    const expectedMd5 = Buffer.from(source.partMd5s[i]!, 'base64').toString('hex');
    if (file.Recording_Part_Key__c !== `${keyPrefix}:${i}`)
      fail(`file ${i} is ${file.Recording_Part_Key__c}`);
    if (file.ContentSize !== source.partSizes[i]) fail(`part ${i}: ${file.ContentSize} bytes`);
    if (file.Checksum !== expectedMd5) fail(`part ${i}: MD5 ${file.Checksum}, expected ${expectedMd5}`);
    if (file.FirstPublishLocationId !== CASE_ID) fail(`part ${i} is on ${file.FirstPublishLocationId}`);
  });
}

interface MeasuredRun extends PipelineRun {
  workerGrowth: number;
  workerBaselineRss: number;
  plannerGrowth: number;
  cpu: { worker: number; planner: number; bench: number };
}

/** One measured recording, on a fresh worker process warmed up with a small one. */
async function measuredPipeline(stack: Stack, source: Source, warmUp: Source, label: string) {
  const worker = await startWorker(stack);
  try {
    await throughPipeline(stack, worker, warmUp, `${label}-warm`);
    const baselineRss = memoryOf(worker.pid).rss;
    resetPeak(worker.pid);
    const plannerRss = memoryOf(stack.ready.pid).rss;
    resetPeak(stack.ready.pid);
    const cpuBefore = { worker: cpuSecondsOf(worker.pid), planner: cpuSecondsOf(stack.ready.pid) };
    const run = await throughPipeline(stack, worker, source, label);
    const measured: MeasuredRun = {
      ...run,
      workerGrowth: memoryOf(worker.pid).hwm - baselineRss,
      workerBaselineRss: baselineRss,
      plannerGrowth: memoryOf(stack.ready.pid).hwm - plannerRss,
      cpu: {
        worker: cpuSecondsOf(worker.pid) - cpuBefore.worker,
        planner: cpuSecondsOf(stack.ready.pid) - cpuBefore.planner,
        bench: run.benchCpu,
      },
    };
    return measured;
  } finally {
    await worker.stop();
  }
}

// --- the baseline ---------------------------------------------------------------------------------

/** The baseline's time, and its CPU seconds: the sender's for the upload, and the CRM server's. */
async function plainUpload(
  stack: Stack,
  source: Source,
  label: string,
): Promise<{ ms: number; cpuS: number }> {
  const key = `baseline-${label}-${randomUUID()}`;
  const serverCpuBefore = ownCpuSeconds();
  const child = await startChild(
    [
      'upload',
      source.path,
      `${stack.salesforce.url}/services/data/v62.0/sobjects/ContentVersion`,
      stack.accessToken,
      key,
      CASE_ID,
    ],
    {},
    'status',
    600_000,
  );
  await child.exited;
  const serverCpu = ownCpuSeconds() - serverCpuBefore;
  const { status, ms, body, cpuS } = child.line as { status: number; ms: number; body: string; cpuS: number };
  if (status !== 201) throw new Error(`baseline upload: HTTP ${status} ${body}`);
  const file = stack.salesforce.files().find((f) => f.Recording_Part_Key__c === key);
  if (!file || file.ContentSize !== source.sizeBytes || file.Checksum !== source.md5Hex)
    throw new Error(`baseline upload: stored ${JSON.stringify(file)}, expected ${source.md5Hex}`);
  return { ms, cpuS: cpuS + serverCpu };
}

/**
 * The same parts relayed from the Storage server to the CRM server, one after another, by a process
 * that does nothing else (bench/recordings-functions.ts `relay`): `bare`, a plain GET piped into the
 * insert; `md5`, hashed on the way, as the plan needs; `adapters`, through our own Storage adapter
 * and multipart upload. The pipeline's distance to `adapters` is what its state and queue cost; the
 * relays' distance to the baseline is what a second hop costs on this machine.
 */
type Relay = 'bare' | 'md5' | 'adapters';
const RELAYS: readonly Relay[] = ['bare', 'md5', 'adapters'];

async function relayUpload(stack: Stack, source: Source, label: string, how: Relay): Promise<number> {
  const prefix = `relay-${how}-${label}-${randomUUID()}`;
  const child = await startChild(
    [
      'relay',
      stack.storage.url,
      RELAY_BUCKET,
      relayObjectName(source),
      `${stack.salesforce.url}/services/data/v62.0/sobjects/ContentVersion`,
      stack.accessToken,
      prefix,
      CASE_ID,
      String(PART_SIZE_BYTES),
      how,
    ],
    {},
    'statuses',
    600_000,
  );
  await child.exited;
  const { statuses, ms } = child.line as { statuses: number[]; ms: number };
  if (statuses.length !== source.partMd5s.length || statuses.some((s) => s !== 201))
    throw new Error(`relay ${how}: HTTP ${statuses.join()}`);
  checkStoredParts(stack.salesforce, prefix, source, (what) => {
    throw new Error(`relay ${how}: ${what}`);
  });
  return ms;
}

const relayObjectName = (source: Source) => `relay-${source.sizeBytes}.wav`;

// --- the benchmark --------------------------------------------------------------------------------

function checkDisk(dir: string) {
  const { bavail, bsize } = statfsSync(dir);
  const free = bavail * bsize;
  // The sources and the relays' copies, plus one object at a time in the Storage server, plus room.
  const needed = 2 * SIZES.reduce((a, b) => a + b, 0) + Math.max(...SIZES) + 1e9;
  if (free < needed)
    throw new Error(
      `recordings bench: ${round1(mb(free))} MB free in ${dir}, needs ${round1(mb(needed))} MB`,
    );
}

export async function run() {
  checkDisk(tmpdir());
  interrupted = new AbortController();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const dir = await mkdtemp(join(tmpdir(), 'bench-recordings-'));
  try {
    const warmUp = await writeSource(dir, 1, WARM_UP_BYTES);
    const sources: Source[] = [];
    for (const [i, size] of SIZES.entries()) sources.push(await writeSource(dir, 2 + i, size));

    await withFirestoreEmulator(() =>
      withStack(async (stack) => {
        // Warm the baseline's path too (the server's parser, the token) before measuring.
        await plainUpload(stack, warmUp, 'warm');
        await stack.gcs.createBucket(RELAY_BUCKET);
        for (const source of sources) {
          const size = source.sizeBytes;
          await pipeline(
            createReadStream(source.path),
            stack.gcs
              .bucket(RELAY_BUCKET)
              .file(relayObjectName(source))
              .createWriteStream({ validation: false }),
            { signal: interrupted.signal },
          );
          const runs: Runs = {
            pipeline: [],
            baselineMs: [],
            baselineCpuS: [],
            relayMs: { bare: [], md5: [], adapters: [] },
          };
          // Each round in another order, so that drift in the shared machine's load falls on all.
          for (let r = 0; r < ROUNDS; r++) {
            const label = `${mb(size)}mb-${r}`;
            const each = [
              async () => runs.pipeline.push(await measuredPipeline(stack, source, warmUp, label)),
              async () => {
                const { ms, cpuS } = await plainUpload(stack, source, label);
                runs.baselineMs.push(ms);
                runs.baselineCpuS.push(cpuS);
              },
              ...RELAYS.map(
                (how) => async () => runs.relayMs[how].push(await relayUpload(stack, source, label, how)),
              ),
            ];
            for (let i = 0; i < each.length; i++) await each[(i + r) % each.length]!();
          }
          summarize(source, runs);
          await stack.gcs.bucket(RELAY_BUCKET).file(relayObjectName(source)).delete();
        }
      }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

interface Runs {
  pipeline: MeasuredRun[];
  baselineMs: number[];
  baselineCpuS: number[];
  relayMs: Record<Relay, number[]>;
}

function summarize(source: Source, all: Runs) {
  const runs = all.pipeline;
  const size = source.sizeBytes;
  const perSecond = (ms: number) => mb(size) / (ms / 1000);
  const pipeline = runs.map((r) => perSecond(r.totalMs));
  const baseline = all.baselineMs.map(perSecond);
  const relays = Object.fromEntries(RELAYS.map((how) => [how, all.relayMs[how].map(perSecond)])) as Record<
    Relay,
    number[]
  >;
  const ratio = median(pipeline) / median(baseline);
  const ratioRounds = (values: number[]) => values.map((v, i) => Number((v / baseline[i]!).toFixed(3)));
  const growth = Math.max(...runs.map((r) => r.workerGrowth));
  const fields = { sizeBytes: size, parts: source.partMd5s.length };
  const seconds = (values: number[]) => values.map((v) => round1(v / 1000));
  const cpu = (k: keyof MeasuredRun['cpu']) => round1(median(runs.map((r) => r.cpu[k])));

  report('recordings', 'pipeline_mb_per_s', median(pipeline), {
    ...fields,
    rounds: pipeline.map(round1),
  });
  report('recordings', 'baseline_mb_per_s', median(baseline), { ...fields, rounds: baseline.map(round1) });
  report('recordings', 'ratio', ratio, {
    ...fields,
    target: RATIO_TARGET,
    rounds: ratioRounds(pipeline),
  });
  // What a second hop costs on this machine, and how close the pipeline comes to its own adapters
  // doing the same without state or queue.
  for (const how of RELAYS)
    report('recordings', 'relay_mb_per_s', median(relays[how]), {
      ...fields,
      relay: how,
      ratio: Number((median(relays[how]) / median(baseline)).toFixed(3)),
      ratio_rounds: ratioRounds(relays[how]),
    });
  // Our own overhead: the pipeline against the least work REC needs, in the same rounds.
  const toMd5Relay = median(pipeline) / median(relays.md5);
  report('recordings', 'ratio_to_md5_relay', toMd5Relay, {
    ...fields,
    target: RELAY_RATIO_TARGET,
    met: toMd5Relay >= RELAY_RATIO_TARGET,
    rounds: pipeline.map((v, i) => Number((v / relays.md5[i]!).toFixed(3))),
  });
  // The org's daily API allowance: what one recording costs (the measured worker had logged in for
  // its warm-up recording, so a login here would be a refresh). Target: one insert per part.
  const calls = runs.map((r) => r.crmCalls);
  report(
    'recordings',
    'crm_calls_per_recording',
    median(calls.map((c) => c.logins + c.lookups + c.inserts)),
    {
      ...fields,
      logins: calls.map((c) => c.logins),
      lookups: calls.map((c) => c.lookups),
      inserts: calls.map((c) => c.inserts),
      server_api_requests: runs.map((r) => r.crmServer.apiRequests),
      server_tokens: runs.map((r) => r.crmServer.tokens),
    },
  );
  report('recordings', 'pipeline_vs_adapters', median(pipeline) / median(relays.adapters), {
    ...fields,
    rounds: pipeline.map((v, i) => Number((v / relays.adapters[i]!).toFixed(3))),
  });
  // What the machine's cores allow: the pipeline cannot take less time than the CPU seconds it
  // needs (every process of it: worker, planner, Storage and CRM servers, Firestore emulator, this
  // one) spread over every core, so its ratio cannot pass the baseline's time over that. Steal is
  // what the hypervisor gave to others meanwhile: when it is high, the round's figures are noise.
  const ceilings = runs.map((r, i) => all.baselineMs[i]! / 1000 / (r.machineCpu.busy / CORES));
  report('recordings', 'pipeline_cpu_s', median(runs.map((r) => r.machineCpu.busy)), {
    ...fields,
    rounds: runs.map((r) => round1(r.machineCpu.busy)),
    cores: CORES,
    steal_s: runs.map((r) => round1(r.machineCpu.steal)),
    baseline_cpu_s: round1(median(all.baselineCpuS)),
    baseline_cpu_rounds: all.baselineCpuS.map(round1),
    ratio_ceiling: Number(median(ceilings).toFixed(3)),
    ratio_ceiling_rounds: ceilings.map((c) => Number(c.toFixed(3))),
  });
  // The largest growth of the rounds, not the median: it is a ceiling.
  report('recordings', 'worker_peak_growth_mb', mb(growth), {
    ...fields,
    limit_mb: mb(LIMIT_BYTES),
    within_limit: growth <= LIMIT_BYTES,
    rounds: runs.map((r) => round1(mb(r.workerGrowth))),
    baseline_rss_mb: round1(mb(median(runs.map((r) => r.workerBaselineRss)))),
  });
  // Where the time goes: finalize → plannedAt (recordingReady reads the object's metadata and writes
  // the plan), plannedAt → last part acknowledged (the worker reads each part and sends it), then
  // the delete. CPU seconds of each process from the finalize on (bench: the Storage and Salesforce
  // servers, and the polling).
  report('recordings', 'planning_s', median(runs.map((r) => r.planningMs)) / 1000, {
    ...fields,
    rounds: seconds(runs.map((r) => r.planningMs)),
    mb_per_s: round1(median(runs.map((r) => perSecond(r.planningMs)))),
    planner_cpu_s: cpu('planner'),
    planner_peak_growth_mb: round1(mb(Math.max(...runs.map((r) => r.plannerGrowth)))),
  });
  report('recordings', 'upload_s', median(runs.map((r) => r.uploadMs)) / 1000, {
    ...fields,
    rounds: seconds(runs.map((r) => r.uploadMs)),
    mb_per_s: round1(median(runs.map((r) => perSecond(r.uploadMs)))),
    worker_cpu_s: cpu('worker'),
    bench_cpu_s: cpu('bench'),
    delete_s: round1(median(runs.map((r) => r.deleteMs)) / 1000),
    // The upload task's time in the worker (every part), and its wait in the queue before it.
    task_s: Number((median(runs.map((r) => r.taskMs)) / 1000).toFixed(2)),
    task_queue_wait_ms: Math.round(median(runs.map((r) => r.taskQueueWaitMs))),
    // Each part's turn, the first (with the task's dispatch) apart from the others.
    first_part_s: Number((median(runs.map((r) => r.partMs[0]!)) / 1000).toFixed(3)),
    next_parts_s: Number((median(runs.flatMap((r) => r.partMs.slice(1))) / 1000).toFixed(3)),
  });
  console.error(
    `recordings ${mb(size)} MB: pipeline ${round1(median(pipeline))} MB/s ` +
      `(plan ${round1(median(runs.map((r) => r.planningMs)) / 1000)} s + upload ` +
      `${round1(median(runs.map((r) => r.uploadMs)) / 1000)} s) vs baseline ${round1(median(baseline))} MB/s: ` +
      `ratio ${ratio.toFixed(2)} (target ≥ ${RATIO_TARGET}; the cores allow ≤ ${median(ceilings).toFixed(2)}); ` +
      `to the md5 relay ${toMd5Relay.toFixed(2)} (target ≥ ${RELAY_RATIO_TARGET}); ` +
      `CRM calls ${median(calls.map((c) => c.logins + c.lookups + c.inserts))}; relays: ` +
      RELAYS.map((how) => `${how} ${(median(relays[how]) / median(baseline)).toFixed(2)}`).join(', ') +
      `; worker peak +${round1(mb(growth))} MB ` +
      `(limit ${mb(LIMIT_BYTES)} MB)`,
  );
}
