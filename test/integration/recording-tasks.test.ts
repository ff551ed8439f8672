import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTasksServer, type TasksServer } from '../../local-servers/tasks.js';
import { CloudTasksRecordingTasks } from '../../functions/src/adapters/tasks/recording-tasks.js';
import { planIdFor } from '../../functions/src/domain/recordings/plan.js';

const TIME_SCALE = 1000;
const QUEUE = 'projects/demo-switchboard/locations/local/queues/recordings';
const SERVICE_ACCOUNT = 'recordings-tasks@demo-switchboard.iam.gserviceaccount.com';

// --- a worker that records what it receives -------------------------------------------------------------

interface Delivery {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Worker {
  url: string;
  deliveries(path: string): Delivery[];
  /** The status to answer the nth (1-based) delivery of a task, by task id; 200 otherwise. */
  replyTo(taskId: string, status: (nth: number) => number): void;
  close(): Promise<void>;
}

async function startWorker(): Promise<Worker> {
  const received: Delivery[] = [];
  const replies = new Map<string, (nth: number) => number>();
  const seen = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const taskId = String(req.headers['x-cloudtasks-taskname'] ?? '');
      const nth = (seen.get(taskId) ?? 0) + 1;
      seen.set(taskId, nth);
      res.writeHead(replies.get(taskId)?.(nth) ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    deliveries: (path) => received.filter((d) => d.path === path),
    replyTo: (taskId, status) => void replies.set(taskId, status),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const deliveriesOf = (worker: Worker, path: string, taskId: string) =>
  worker.deliveries(path).filter((d) => d.headers['x-cloudtasks-taskname'] === taskId);

function claimsOf(delivery: Delivery | undefined): Record<string, unknown> {
  const token = /^Bearer (\S+)$/.exec(delivery?.headers.authorization ?? '')?.[1] ?? '';
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------------------

let server: TasksServer;
let worker: Worker;
let tasks: CloudTasksRecordingTasks;
/** The server's clock runs TIME_SCALE times faster than real time, like its waits. */
let serverNow: () => number;

beforeAll(async () => {
  const epoch = Date.now();
  const started = performance.now();
  serverNow = () => epoch + (performance.now() - started) * TIME_SCALE;
  [server, worker] = await Promise.all([
    startTasksServer({ timeScale: TIME_SCALE, now: () => serverNow() }),
    startWorker(),
  ]);
  tasks = new CloudTasksRecordingTasks({
    queue: QUEUE,
    workerUrl: worker.url,
    serviceAccountEmail: SERVICE_ACCOUNT,
    emulatorHost: `127.0.0.1:${server.port}`,
  });
});

afterAll(async () => {
  await tasks?.close();
  await server?.close();
  await worker?.close();
});

describe('CloudTasksRecordingTasks: what the worker receives', () => {
  it('when a recording is to be planned, then the worker gets POST /v1/tasks/plan with the request as JSON and a task named after the object', async () => {
    const request = {
      bucket: 'recordings',
      object: 'calls/2026/call-1.wav',
      generation: '1764000000000001',
      sessionId: 'call-1',
      recordingId: 'rec-1',
    };
    const taskId = `plan-${planIdFor({ bucket: 'recordings', name: 'calls/2026/call-1.wav', generation: '1764000000000001' })}`;

    await tasks.enqueuePlanning(request);
    await server.idle();

    const [delivery, ...more] = deliveriesOf(worker, '/v1/tasks/plan', taskId);
    expect(more).toHaveLength(0);
    expect(delivery?.method).toBe('POST');
    expect(delivery?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(delivery?.body ?? '')).toEqual(request);
    expect(delivery?.headers['x-cloudtasks-queuename']).toBe('recordings');
    expect(claimsOf(delivery)).toMatchObject({ email: SERVICE_ACCOUNT, aud: worker.url });
  });

  it('when the event names no generation, then the plan task is named for the live generation', async () => {
    const request = { bucket: 'recordings', object: 'calls/live.wav', sessionId: 's', recordingId: 'r' };
    const taskId = `plan-${planIdFor({ bucket: 'recordings', name: 'calls/live.wav', generation: 'live' })}`;

    await tasks.enqueuePlanning(request);
    await tasks.enqueuePlanning(request);
    await server.idle();

    expect(deliveriesOf(worker, '/v1/tasks/plan', taskId).map((d) => JSON.parse(d.body))).toEqual([request]);
  });

  it('when a part is to be uploaded, then the worker gets POST /v1/tasks/upload-part with plan, round and part, and an OIDC token for the worker', async () => {
    await tasks.enqueuePartUpload('call-1-abc', 2, 5);
    await server.idle();

    const [delivery, ...more] = deliveriesOf(worker, '/v1/tasks/upload-part', 'part-call-1-abc-r2-p5');
    expect(more).toHaveLength(0);
    expect(delivery?.method).toBe('POST');
    expect(delivery?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(delivery?.body ?? '')).toEqual({ planId: 'call-1-abc', round: 2, partIndex: 5 });
    expect(claimsOf(delivery)).toMatchObject({
      email: SERVICE_ACCOUNT,
      email_verified: true,
      aud: worker.url,
    });
  });

  it('when a purge is asked for a future time, then it is delivered at that time, not before, to POST /v1/tasks/purge', async () => {
    // Five minutes ahead on the server's clock: 300 ms of real waiting at this time scale.
    const at = new Date(Math.ceil(serverNow() / 1000) * 1000 + 300_000);

    await tasks.schedulePurge('call-2-def', at);
    expect(deliveriesOf(worker, '/v1/tasks/purge', 'purge-call-2-def')).toHaveLength(0);
    await server.idle();

    const [delivery] = deliveriesOf(worker, '/v1/tasks/purge', 'purge-call-2-def');
    expect(delivery?.method).toBe('POST');
    expect(JSON.parse(delivery?.body ?? '')).toEqual({ planId: 'call-2-def' });
    expect(claimsOf(delivery)).toMatchObject({ email: SERVICE_ACCOUNT, aud: worker.url });
    const [attempt, ...retries] = server.attempts('purge-call-2-def');
    expect(retries).toHaveLength(0);
    expect(attempt?.scheduleTime).toBe(at.getTime());
    expect(attempt?.dispatchTime).toBeGreaterThanOrEqual(at.getTime());
    expect(Number(delivery?.headers['x-cloudtasks-tasketa'])).toBe(at.getTime() / 1000);
  });
});

describe('CloudTasksRecordingTasks: waits scheduled as tasks', () => {
  it('when a part is scheduled for later, then the worker gets the same upload task at that time, named by it; asking again for that time adds none', async () => {
    const at = new Date(Math.ceil(serverNow() / 1000) * 1000 + 300_000);
    const taskId = `part-wait-plan-r1-p2-at${at.getTime() / 1000}`;

    await tasks.schedulePartUpload('wait-plan', 1, 2, at);
    await tasks.schedulePartUpload('wait-plan', 1, 2, at);
    await server.idle();

    const [delivery, ...more] = deliveriesOf(worker, '/v1/tasks/upload-part', taskId);
    expect(more).toHaveLength(0);
    expect(JSON.parse(delivery?.body ?? '')).toEqual({ planId: 'wait-plan', round: 1, partIndex: 2 });
    const [attempt] = server.attempts(taskId);
    expect(attempt?.scheduleTime).toBe(at.getTime());
    expect(attempt?.dispatchTime).toBeGreaterThanOrEqual(at.getTime());
  });

  it('when a purge is scheduled again, then it is a task of its own at that time, besides the first purge task', async () => {
    const first = new Date(Math.ceil(serverNow() / 1000) * 1000 + 60_000);
    const again = new Date(first.getTime() + 120_000);

    await tasks.schedulePurge('purge-again-plan', first);
    await tasks.schedulePurgeAgain('purge-again-plan', again);
    await tasks.schedulePurgeAgain('purge-again-plan', again);
    await server.idle();

    expect(deliveriesOf(worker, '/v1/tasks/purge', 'purge-purge-again-plan')).toHaveLength(1);
    const againId = `purge-purge-again-plan-at${again.getTime() / 1000}`;
    const [delivery, ...more] = deliveriesOf(worker, '/v1/tasks/purge', againId);
    expect(more).toHaveLength(0);
    expect(JSON.parse(delivery?.body ?? '')).toEqual({ planId: 'purge-again-plan' });
    expect(server.attempts(againId)[0]?.scheduleTime).toBe(again.getTime());
  });
});

describe('CloudTasksRecordingTasks: idempotence and failures', () => {
  it('when the same part is asked for twice, then no error and one delivery', async () => {
    await tasks.enqueuePartUpload('dup-plan', 0, 1);
    await expect(tasks.enqueuePartUpload('dup-plan', 0, 1)).resolves.toBeUndefined();
    await server.idle();
    // Also after it ran: the name stays taken (Cloud Tasks' deduplication window).
    await expect(tasks.enqueuePartUpload('dup-plan', 0, 1)).resolves.toBeUndefined();
    await server.idle();

    expect(deliveriesOf(worker, '/v1/tasks/upload-part', 'part-dup-plan-r0-p1')).toHaveLength(1);
    expect(server.attempts('part-dup-plan-r0-p1')).toHaveLength(1);
  });

  it('when the same part is asked for concurrently, then both calls succeed and it is delivered once', async () => {
    await Promise.all([
      tasks.enqueuePartUpload('race-plan', 0, 0),
      tasks.enqueuePartUpload('race-plan', 0, 0),
    ]);
    await server.idle();
    expect(deliveriesOf(worker, '/v1/tasks/upload-part', 'part-race-plan-r0-p0')).toHaveLength(1);
  });

  it('when the same purge is asked for twice, then no error and one task', async () => {
    const at = new Date(serverNow() + 60_000);
    await tasks.schedulePurge('dup-purge', at);
    await expect(tasks.schedulePurge('dup-purge', at)).resolves.toBeUndefined();
    await server.idle();
    expect(deliveriesOf(worker, '/v1/tasks/purge', 'purge-dup-purge')).toHaveLength(1);
  });

  it('when a task id would have a forbidden character or be too long, then it is refused before any call', async () => {
    await expect(tasks.enqueuePartUpload('plan.with.dots', 0, 0)).rejects.toThrow(/Invalid task id/);
    await expect(tasks.schedulePurge('plan/slash', new Date())).rejects.toThrow(/Invalid task id/);
    await expect(tasks.enqueuePartUpload('x'.repeat(500), 0, 0)).rejects.toThrow(/at most 500/);
    await expect(
      tasks.enqueuePlanning({
        bucket: 'recordings',
        object: 'calls/odd.wav',
        generation: '12#3',
        sessionId: 's',
        recordingId: 'r',
      }),
    ).rejects.toThrow(/Invalid task id/);
    await expect(tasks.enqueuePartUpload('ok', -1, 0)).rejects.toThrow(RangeError);
    await server.idle();
    expect(
      worker.deliveries('/v1/tasks/upload-part').filter((d) => d.body.includes('plan.with.dots')),
    ).toEqual([]);
  });

  it('when the worker answers 503 and then 200, then the task is retried and succeeds', async () => {
    worker.replyTo('part-flaky-r0-p0', (nth) => (nth === 1 ? 503 : 200));

    await tasks.enqueuePartUpload('flaky', 0, 0);
    await server.idle();

    const deliveries = deliveriesOf(worker, '/v1/tasks/upload-part', 'part-flaky-r0-p0');
    expect(deliveries.map((d) => JSON.parse(d.body))).toEqual([
      { planId: 'flaky', round: 0, partIndex: 0 },
      { planId: 'flaky', round: 0, partIndex: 0 },
    ]);
    expect(deliveries.map((d) => d.headers['x-cloudtasks-taskretrycount'])).toEqual(['0', '1']);
    expect(server.attempts('part-flaky-r0-p0').map((a) => [a.status, a.outcome])).toEqual([
      [503, 'will-retry'],
      [200, 'succeeded'],
    ]);
  });

  it('when Cloud Tasks refuses for another reason (queue not found), then the error propagates', async () => {
    const strict = await startTasksServer({ timeScale: TIME_SCALE, autoCreateQueues: false });
    const strictTasks = new CloudTasksRecordingTasks({
      queue: 'projects/demo-switchboard/locations/local/queues/missing',
      workerUrl: worker.url,
      serviceAccountEmail: SERVICE_ACCOUNT,
      // The other accepted form of the emulator host.
      emulatorHost: strict.url,
    });
    try {
      await expect(strictTasks.enqueuePartUpload('p', 0, 0)).rejects.toMatchObject({ code: 5 });
    } finally {
      await strictTasks.close();
      await strict.close();
    }
  });
});
