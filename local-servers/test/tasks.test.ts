import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { CloudTasksClient } from '@google-cloud/tasks';
import { OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  nextRetryDelayMs,
  retriesExhausted,
  startTasksServer,
  type TasksServer,
} from '../tasks.js';

const TIME_SCALE = 1000;
const LOCATION = 'projects/demo/locations/local';
const queuePath = (id: string) => `${LOCATION}/queues/${id}`;

type ClientOptions = NonNullable<ConstructorParameters<typeof CloudTasksClient>[0]>;

/**
 * The REST transport (fallback mode) sends every call through `authClient.fetch(url, init)` and only accepts
 * the object as an auth client because it has `getRequestHeaders`. Plain global fetch keeps non-2xx bodies
 * for gax to decode, so API errors surface as GoogleError with gRPC codes, as they would over gRPC.
 */
function tasksClient(server: TasksServer): CloudTasksClient {
  const authClient = {
    getRequestHeaders: async () => new Headers(),
    fetch: (input: string, init: RequestInit) => fetch(input, init),
  };
  return new CloudTasksClient({
    fallback: true,
    apiEndpoint: '127.0.0.1',
    port: server.port,
    protocol: 'http',
    authClient: authClient as unknown as ClientOptions['authClient'],
  });
}

// --- a worker that records what it receives -------------------------------------------------------------

interface Delivery {
  method: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  receivedAt: number;
}

type Reply = { status: number; headers?: Record<string, string>; delayMs?: number } | 'hang';

interface Target {
  url: string;
  deliveries(path: string): Delivery[];
  reply(path: string, replier: (nth: number) => Reply): void;
  maxInFlight(path: string): number;
  close(): Promise<void>;
}

async function startTarget(): Promise<Target> {
  const deliveries = new Map<string, Delivery[]>();
  const repliers = new Map<string, (nth: number) => Reply>();
  const inFlight = new Map<string, { now: number; max: number }>();

  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received = deliveries.get(path) ?? [];
      deliveries.set(path, received);
      received.push({
        method: req.method ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: performance.now(),
      });
      const load = inFlight.get(path) ?? { now: 0, max: 0 };
      inFlight.set(path, load);
      load.now += 1;
      load.max = Math.max(load.max, load.now);
      const reply = repliers.get(path)?.(received.length) ?? { status: 200 };
      if (reply === 'hang') return;
      setTimeout(() => {
        load.now -= 1;
        res.writeHead(reply.status, reply.headers).end();
      }, reply.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    deliveries: (path) => deliveries.get(path) ?? [],
    reply: (path, replier) => void repliers.set(path, replier),
    maxInFlight: (path) => inFlight.get(path)?.max ?? 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function rejection(
  call: Promise<unknown>,
): Promise<{ code?: unknown; status?: unknown; message: string }> {
  try {
    await call;
  } catch (err) {
    return err as { code?: unknown; message: string };
  }
  throw new Error('expected the call to be rejected');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `probe` finds something: for deliveries that need no wait but a few turns of the loop. */
async function until<T>(probe: () => T | undefined): Promise<T> {
  for (let turn = 0; turn < 500; turn++) {
    const found = probe();
    if (found !== undefined) return found;
    await sleep(10);
  }
  throw new Error('nothing arrived');
}

const timestamp = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });

const secondsOf = (value: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  Number(value?.seconds ?? 0) + (value?.nanos ?? 0) / 1e9;

function bearerToken(delivery: Delivery | undefined): string {
  return (delivery?.headers.authorization ?? '').replace(/^Bearer /, '');
}

// ---------------------------------------------------------------------------------------------------------

let server: TasksServer;
let client: CloudTasksClient;
let target: Target;

beforeAll(async () => {
  [server, target] = await Promise.all([startTasksServer({ timeScale: TIME_SCALE }), startTarget()]);
  client = tasksClient(server);
});

afterAll(async () => {
  await client?.close();
  await server?.close();
  await target?.close();
});

describe('tasks server: delivery', () => {
  it('when a task is created, then the target receives its method, body, headers and the X-CloudTasks-* headers', async () => {
    const [task] = await client.createTask({
      parent: queuePath('deliver'),
      task: {
        httpRequest: {
          url: `${target.url}/deliver?order=42`,
          httpMethod: 'PUT',
          headers: { 'Content-Type': 'application/json', 'X-Trace': 'abc', 'User-Agent': 'spoofed' },
          body: Buffer.from('{"hello":"world"}'),
        },
      },
    });
    await server.idle();

    expect(task.name).toMatch(new RegExp(`^${queuePath('deliver')}/tasks/\\d{19}$`));
    expect(task.view).toBe('BASIC');
    expect(task.httpRequest?.body?.length ?? 0).toBe(0);
    const [delivery, ...more] = target.deliveries('/deliver?order=42');
    expect(more).toHaveLength(0);
    expect(delivery?.method).toBe('PUT');
    expect(delivery?.body).toBe('{"hello":"world"}');
    expect(delivery?.headers).toMatchObject({
      'content-type': 'application/json',
      'x-trace': 'abc',
      'user-agent': 'Google-Cloud-Tasks',
      'x-cloudtasks-queuename': 'deliver',
      'x-cloudtasks-taskname': task.name?.split('/').pop(),
      'x-cloudtasks-taskretrycount': '0',
      'x-cloudtasks-taskexecutioncount': '0',
    });
    expect(delivery?.headers['x-cloudtasks-taskpreviousresponse']).toBeUndefined();
    expect(Number(delivery?.headers['x-cloudtasks-tasketa'])).toBeCloseTo(secondsOf(task.scheduleTime), 5);
  });

  it('when tasks are read back, then BASIC omits the body, FULL returns it, and deleted tasks are NOT_FOUND', async () => {
    const parent = queuePath('inspect');
    await client.createQueue({ parent: LOCATION, queue: { name: parent } });
    await client.pauseQueue({ name: parent });
    const [created] = await client.createTask({
      parent,
      task: { httpRequest: { url: `${target.url}/inspect`, body: Buffer.from('payload') } },
      responseView: 'FULL',
    });
    const name = created.name ?? '';

    expect(Buffer.from(created.httpRequest?.body ?? '').toString()).toBe('payload');
    const [basic] = await client.getTask({ name });
    expect(basic.httpRequest?.body?.length ?? 0).toBe(0);
    const [full] = await client.getTask({ name, responseView: 'FULL' });
    expect(full).toMatchObject({ view: 'FULL', dispatchCount: 0, dispatchDeadline: { seconds: '600' } });
    const [listed] = await client.listTasks({ parent }, { autoPaginate: false });
    expect(listed.map((t) => t.name)).toEqual([name]);

    await client.deleteTask({ name });
    expect((await rejection(client.getTask({ name }))).code).toBe(5);
    expect(target.deliveries('/inspect')).toHaveLength(0);
  });

  it('when a queue is paused, then nothing is dispatched until it resumes, and RunTask forces one through', async () => {
    const parent = queuePath('paused');
    await client.createQueue({ parent: LOCATION, queue: { name: parent } });
    const [paused] = await client.pauseQueue({ name: parent });
    expect(paused.state).toBe('PAUSED');
    const [waiting] = await client.createTask({
      parent,
      task: { httpRequest: { url: `${target.url}/paused` } },
    });
    const [forced] = await client.createTask({
      parent,
      task: { httpRequest: { url: `${target.url}/forced` } },
    });

    await server.idle(); // tasks in a paused queue do not keep the server busy
    await sleep(30);
    expect(target.deliveries('/paused')).toHaveLength(0);

    const [run] = await client.runTask({ name: forced.name });
    expect(run.dispatchCount).toBe(1);
    await server.idle();
    expect(target.deliveries('/forced')).toHaveLength(1);
    expect(target.deliveries('/paused')).toHaveLength(0);

    await client.resumeQueue({ name: parent });
    await server.idle();
    expect(target.deliveries('/paused')).toHaveLength(1);
    expect(server.attempts(waiting.name ?? '').map((a) => a.outcome)).toEqual(['succeeded']);
  });

  it('when maxConcurrentDispatches is 1, then deliveries are sequential', async () => {
    const serial = queuePath('serial');
    await client.createQueue({
      parent: LOCATION,
      queue: { name: serial, rateLimits: { maxConcurrentDispatches: 1 } },
    });
    target.reply('/serial', () => ({ status: 200, delayMs: 25 }));
    target.reply('/parallel', () => ({ status: 200, delayMs: 25 }));

    await Promise.all(
      [1, 2, 3, 4].flatMap(() => [
        client.createTask({ parent: serial, task: { httpRequest: { url: `${target.url}/serial` } } }),
        client.createTask({
          parent: queuePath('parallel'),
          task: { httpRequest: { url: `${target.url}/parallel` } },
        }),
      ]),
    );
    await server.idle();

    expect(target.deliveries('/serial')).toHaveLength(4);
    expect(target.maxInFlight('/serial')).toBe(1);
    // The same load on a default queue (1000 concurrent) does overlap, so the limit above is what serialised it.
    expect(target.maxInFlight('/parallel')).toBeGreaterThan(1);
  });
});

describe('tasks server: names and validation', () => {
  it('when a named task is created twice, then ALREADY_EXISTS (code 6), while it exists and after it completed or was deleted', async () => {
    const parent = queuePath('dedupe');
    await client.createQueue({ parent: LOCATION, queue: { name: parent } });
    await client.pauseQueue({ name: parent });
    const create = (id: string) =>
      client.createTask({
        parent,
        task: { name: `${parent}/tasks/${id}`, httpRequest: { url: `${target.url}/dedupe` } },
      });

    await create('order-42');
    const whileQueued = await rejection(create('order-42'));
    expect(whileQueued.code).toBe(6);
    expect(whileQueued.message).toContain('already exists');

    await client.resumeQueue({ name: parent });
    await server.idle();
    expect(target.deliveries('/dedupe')).toHaveLength(1);
    expect((await rejection(create('order-42'))).code).toBe(6);

    await client.pauseQueue({ name: parent });
    await create('order-43');
    await client.deleteTask({ name: `${parent}/tasks/order-43` });
    expect((await rejection(create('order-43'))).code).toBe(6);
  });

  it('when the task name is outside the queue or malformed, then INVALID_ARGUMENT (code 3)', async () => {
    const parent = queuePath('names');
    const withName = (name: string) =>
      client.createTask({ parent, task: { name, httpRequest: { url: target.url } } });

    expect((await rejection(withName(`${queuePath('other')}/tasks/a`))).code).toBe(3);
    expect((await rejection(withName(`${parent}/tasks/not.allowed`))).code).toBe(3);
  });

  it('when the task is larger than 1 MB or its deadline is out of range, then INVALID_ARGUMENT (code 3)', async () => {
    const parent = queuePath('limits');
    const tooBig = () =>
      client.createTask({
        parent,
        task: { httpRequest: { url: target.url, body: Buffer.alloc(1024 * 1024 + 1) } },
      });
    const shortDeadline = () =>
      client.createTask({
        parent,
        task: { dispatchDeadline: { seconds: 10 }, httpRequest: { url: target.url } },
      });

    expect((await rejection(tooBig())).code).toBe(3);
    expect((await rejection(shortDeadline())).code).toBe(3);
  });

  it('when a queue is created and updated, then getQueue reports the Cloud Tasks defaults plus the masked change', async () => {
    const name = queuePath('configured');
    await client.createQueue({ parent: LOCATION, queue: { name } });
    expect((await rejection(client.createQueue({ parent: LOCATION, queue: { name } }))).code).toBe(6);
    expect((await rejection(client.getQueue({ name: queuePath('missing') }))).code).toBe(5);

    await client.updateQueue({
      queue: { name, retryConfig: { maxAttempts: 5, maxDoublings: 2 } },
      updateMask: { paths: ['retry_config.max_attempts'] },
    });
    const [queue] = await client.getQueue({ name });

    expect(queue).toMatchObject({
      state: 'RUNNING',
      rateLimits: { maxConcurrentDispatches: 1000, maxDispatchesPerSecond: 500 },
      retryConfig: {
        maxAttempts: 5,
        maxDoublings: 16,
        minBackoff: { seconds: '0', nanos: 100_000_000 },
        maxBackoff: { seconds: '3600', nanos: 0 },
        maxRetryDuration: { seconds: '0', nanos: 0 },
      },
    });
  });
});

describe('tasks server: scheduling', () => {
  it('when scheduleTime is in the future, then the task waits for it, shortened by timeScale', async () => {
    const createdAt = performance.now();
    const scheduleMs = Date.now() + 60_000;
    await client.createTask({
      parent: queuePath('later'),
      task: { scheduleTime: timestamp(scheduleMs), httpRequest: { url: `${target.url}/later` } },
    });
    expect(target.deliveries('/later')).toHaveLength(0);
    await server.idle();

    const [delivery] = target.deliveries('/later');
    // 60 s at timeScale 1000 is 60 ms; allow the few ms the create call took before the server read its clock.
    expect((delivery?.receivedAt ?? 0) - createdAt).toBeGreaterThanOrEqual(50);
    expect(Number(delivery?.headers['x-cloudtasks-tasketa'])).toBeCloseTo(scheduleMs / 1000, 3);
  });

  it('when scheduleTime is more than 30 days ahead, then INVALID_ARGUMENT (code 3)', async () => {
    const farAhead = Date.now() + 31 * 24 * 3_600_000;
    const call = client.createTask({
      parent: queuePath('later'),
      task: { scheduleTime: timestamp(farAhead), httpRequest: { url: target.url } },
    });
    expect((await rejection(call)).code).toBe(3);
  });

  it('when the server runs on a controlled clock, then scheduleTime is compared with that clock', async () => {
    // A clock standing still in 2030: only the server's waits pass, in real time divided by timeScale.
    const fakeNow = Date.UTC(2030, 0, 1);
    const clocked = await startTasksServer({ timeScale: TIME_SCALE, now: () => fakeNow });
    const clockedClient = tasksClient(clocked);
    try {
      const parent = queuePath('clocked');
      const createdAt = performance.now();
      const [task] = await clockedClient.createTask({
        parent,
        task: { scheduleTime: timestamp(fakeNow + 300_000), httpRequest: { url: `${target.url}/clocked` } },
      });
      // 29 days past the fake "now" is accepted even though it is years ahead of the real clock.
      const [distant] = await clockedClient.createTask({
        parent,
        task: { scheduleTime: timestamp(fakeNow + 29 * 24 * 3_600_000), httpRequest: { url: target.url } },
      });
      await clockedClient.deleteTask({ name: distant.name });
      await clocked.idle();

      expect(secondsOf(task.createTime)).toBe(fakeNow / 1000);
      expect(clocked.attempts(task.name ?? '').map((a) => a.scheduleTime)).toEqual([fakeNow + 300_000]);
      const [delivery] = target.deliveries('/clocked');
      expect(delivery?.headers['x-cloudtasks-tasketa']).toBe(`${fakeNow / 1000 + 300}.000000`);
      // 300 s ahead on the fake clock, at timeScale 1000, is 300 ms of real waiting.
      expect((delivery?.receivedAt ?? 0) - createdAt).toBeGreaterThanOrEqual(295);
    } finally {
      await clockedClient.close();
      await clocked.close();
    }
  });

  it('when time is moved forward, then what was scheduled within it is dispatched, later tasks wait, and timestamps follow', async () => {
    // Real-time waits: without the move, a task a week ahead would wait a week.
    const fakeNow = Date.UTC(2030, 0, 1);
    const day = 24 * 3_600_000;
    const moved = await startTasksServer({ now: () => fakeNow });
    const movedClient = tasksClient(moved);
    try {
      const parent = queuePath('moved');
      const create = (path: string, at: number) =>
        movedClient.createTask({
          parent,
          task: { scheduleTime: timestamp(at), httpRequest: { url: `${target.url}${path}` } },
        });
      const [week] = await create('/moved-week', fakeNow + 7 * day);
      const [fortnight] = await create('/moved-fortnight', fakeNow + 14 * day);

      moved.advanceTime(8 * day);
      // The attempt is recorded once the worker's answer is in, after the delivery.
      const attempt = await until(() => moved.attempts(week.name ?? '')[0]);
      expect(attempt.dispatchTime).toBeGreaterThanOrEqual(fakeNow + 8 * day);
      const [delivered] = target.deliveries('/moved-week');
      expect(delivered?.headers['x-cloudtasks-tasketa']).toBe(`${(fakeNow + 7 * day) / 1000}.000000`);
      expect(target.deliveries('/moved-fortnight')).toHaveLength(0);
      const [waiting] = await movedClient.getTask({ name: fortnight.name });
      expect(secondsOf(waiting.scheduleTime)).toBe((fakeNow + 14 * day) / 1000);
      // What is created now is created eight days on, and may be scheduled 30 days past that.
      const [later] = await create('/moved-later', fakeNow + 37 * day);
      expect(secondsOf(later.createTime)).toBe((fakeNow + 8 * day) / 1000);
      await movedClient.deleteTask({ name: later.name });

      expect(() => moved.advanceTime(-1)).toThrow(/forward/);
      moved.advanceTime(6 * day);
      await until(() => target.deliveries('/moved-fortnight')[0]);
    } finally {
      await movedClient.close();
      await moved.close();
    }
  });
});

describe('tasks server: retries', () => {
  it('when the target answers 500 three times then 200, then it is retried with growing delays and succeeds on attempt 4', async () => {
    const parent = queuePath('flaky');
    await client.createQueue({
      parent: LOCATION,
      queue: {
        name: parent,
        retryConfig: {
          maxAttempts: 10,
          minBackoff: { seconds: 1 },
          maxBackoff: { seconds: 300 },
          maxDoublings: 3,
        },
      },
    });
    target.reply('/flaky', (nth) => ({ status: nth <= 3 ? 500 : 200 }));

    const [task] = await client.createTask({ parent, task: { httpRequest: { url: `${target.url}/flaky` } } });
    await server.idle();

    const deliveries = target.deliveries('/flaky');
    expect(deliveries.map((d) => d.headers['x-cloudtasks-taskretrycount'])).toEqual(['0', '1', '2', '3']);
    expect(deliveries.map((d) => d.headers['x-cloudtasks-taskpreviousresponse'])).toEqual([
      undefined,
      '500',
      '500',
      '500',
    ]);
    // 5xx responses are documented as not counted in the execution count.
    expect(deliveries.map((d) => d.headers['x-cloudtasks-taskexecutioncount'])).toEqual(['0', '0', '0', '0']);

    const attempts = server.attempts(task.name ?? '');
    expect(attempts.map((a) => a.status)).toEqual([500, 500, 500, 200]);
    expect(attempts.map((a) => a.outcome)).toEqual(['will-retry', 'will-retry', 'will-retry', 'succeeded']);
    expect(attempts.map((a) => a.nextDelayMs)).toEqual([1000, 2000, 4000, undefined]);
    for (let i = 1; i < attempts.length; i++) {
      const [previous, current] = [attempts[i - 1], attempts[i]];
      // Each retry is scheduled one backoff after the failed response, on the server's clock...
      expect((current?.scheduleTime ?? 0) - (previous?.responseTime ?? 0)).toBe(previous?.nextDelayMs);
      // ...and really waited that long, divided by timeScale.
      const gap = (deliveries[i]?.receivedAt ?? 0) - (deliveries[i - 1]?.receivedAt ?? 0);
      expect(gap).toBeGreaterThanOrEqual(((previous?.nextDelayMs ?? 0) / TIME_SCALE) * 0.9);
    }
    expect((await rejection(client.getTask({ name: task.name }))).code).toBe(5);
  });

  it('when the target always fails, then maxAttempts bounds the attempts and the task is dropped', async () => {
    const parent = queuePath('doomed');
    await client.createQueue({
      parent: LOCATION,
      queue: { name: parent, retryConfig: { maxAttempts: 3, minBackoff: { nanos: 100_000_000 } } },
    });
    target.reply('/doomed', () => ({ status: 500 }));

    const [task] = await client.createTask({
      parent,
      task: { httpRequest: { url: `${target.url}/doomed` } },
    });
    await server.idle();

    expect(target.deliveries('/doomed')).toHaveLength(3);
    expect(server.attempts(task.name ?? '').map((a) => a.outcome)).toEqual([
      'will-retry',
      'will-retry',
      'gave-up',
    ]);
    expect((await rejection(client.getTask({ name: task.name }))).code).toBe(5);
  });

  it('when both maxAttempts and maxRetryDuration are set, then retries go on until both are exhausted', async () => {
    const parent = queuePath('aged');
    await client.createQueue({
      parent: LOCATION,
      queue: {
        name: parent,
        retryConfig: {
          maxAttempts: 2,
          maxRetryDuration: { seconds: 60 },
          minBackoff: { seconds: 1 },
          maxBackoff: { seconds: 1 },
        },
      },
    });
    target.reply('/aged', () => ({ status: 500 }));

    const [task] = await client.createTask({ parent, task: { httpRequest: { url: `${target.url}/aged` } } });
    await server.idle();

    // 1 s backoffs over a 60 s age limit: more than maxAttempts, at most one per second of age. (At timeScale
    // 1000 every real millisecond of request overhead also ages the task by a second, hence no exact count.)
    const outcomes = server.attempts(task.name ?? '').map((a) => a.outcome);
    expect(outcomes.length).toBeGreaterThan(2);
    expect(outcomes.length).toBeLessThanOrEqual(61);
    expect(outcomes.at(-1)).toBe('gave-up');
  });

  it('when the target answers 503 or 429 with Retry-After, then a longer Retry-After replaces the backoff', async () => {
    const parent = queuePath('throttled');
    await client.createQueue({
      parent: LOCATION,
      queue: { name: parent, retryConfig: { minBackoff: { seconds: 1 }, maxBackoff: { seconds: 10 } } },
    });
    const replies: Reply[] = [
      { status: 503, headers: { 'Retry-After': '30' } }, // longer than the backoff, even beyond maxBackoff
      { status: 500, headers: { 'Retry-After': '30' } }, // only 429 and 503 are read for Retry-After
      { status: 429, headers: { 'Retry-After': '1' } }, // shorter than the backoff
      { status: 200 },
    ];
    target.reply('/throttled', (nth) => replies[nth - 1] ?? { status: 200 });

    const [task] = await client.createTask({
      parent,
      task: { httpRequest: { url: `${target.url}/throttled` } },
    });
    await server.idle();

    expect(server.attempts(task.name ?? '').map((a) => a.nextDelayMs)).toEqual([
      30_000,
      2000,
      4000,
      undefined,
    ]);
    expect(
      target.deliveries('/throttled').map((d) => d.headers['x-cloudtasks-taskpreviousresponse']),
    ).toEqual([undefined, '503', '500', '429']);
  });

  it('when the target never answers, then the request is aborted at dispatchDeadline and retried', async () => {
    // timeScale 100 turns the 15 s minimum deadline into 150 ms: long enough to be sure the request arrived.
    const slow = await startTasksServer({ timeScale: 100 });
    const slowClient = tasksClient(slow);
    try {
      const parent = queuePath('hanging');
      await slowClient.createQueue({
        parent: LOCATION,
        queue: { name: parent, retryConfig: { maxAttempts: 2, minBackoff: { nanos: 100_000_000 } } },
      });
      target.reply('/hanging', () => 'hang');

      const [task] = await slowClient.createTask({
        parent,
        task: { dispatchDeadline: { seconds: 15 }, httpRequest: { url: `${target.url}/hanging` } },
      });
      await slow.idle();

      const attempts = slow.attempts(task.name ?? '');
      expect(attempts.map((a) => a.error)).toEqual(['DEADLINE_EXCEEDED', 'DEADLINE_EXCEEDED']);
      expect(attempts.map((a) => a.outcome)).toEqual(['will-retry', 'gave-up']);
      for (const attempt of attempts)
        expect(attempt.responseTime - attempt.dispatchTime).toBeGreaterThanOrEqual(140);
      expect(target.deliveries('/hanging').map((d) => d.headers['x-cloudtasks-taskretrycount'])).toEqual([
        '0',
        '1',
      ]);
    } finally {
      await slowClient.close();
      await slow.close();
    }
  });
});

describe('tasks server: OIDC tokens', () => {
  const email = 'tasks-invoker@demo.iam.gserviceaccount.com';
  const audience = 'https://worker.example.com/tasks';

  it('when a task has an oidcToken, then the worker can verify the bearer token against /oidc/certs', async () => {
    await client.createTask({
      parent: queuePath('oidc'),
      task: {
        httpRequest: {
          url: `${target.url}/oidc`,
          headers: { Authorization: 'Bearer overridden' },
          oidcToken: { serviceAccountEmail: email, audience },
        },
      },
    });
    await server.idle();
    const token = bearerToken(target.deliveries('/oidc')[0]);
    const certs = (await (await fetch(server.certsUrl)).json()) as Record<string, string>;
    const verifier = new OAuth2Client();

    const ticket = await verifier.verifySignedJwtWithCertsAsync(token, certs, audience, [server.issuer]);
    expect(ticket.getPayload()).toMatchObject({
      iss: 'https://accounts.google.com',
      aud: audience,
      email,
      email_verified: true,
      sub: expect.stringMatching(/^\d{21}$/),
    });
    await expect(
      verifier.verifySignedJwtWithCertsAsync(token, certs, 'https://someone-else.example.com', [
        server.issuer,
      ]),
    ).rejects.toThrow(/Wrong recipient/);

    const jwks = (await (await fetch(server.jwksUrl)).json()) as {
      keys: Array<{ kid: string; alg: string }>;
    };
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as {
      kid: string;
    };
    expect(jwks.keys).toEqual([expect.objectContaining({ kid: header.kid, alg: 'RS256' })]);
  });

  it('when oidcToken has no audience, then the token is minted for the target URL', async () => {
    const url = `${target.url}/oidc-default`;
    await client.createTask({
      parent: queuePath('oidc'),
      task: { httpRequest: { url, oidcToken: { serviceAccountEmail: email } } },
    });
    await server.idle();
    const idToken = bearerToken(target.deliveries('/oidc-default')[0]);
    // What a worker would do in local development: verifyIdToken with the cert endpoints pointed here.
    const verifier = new OAuth2Client({
      endpoints: {
        oauth2FederatedSignonPemCertsUrl: server.certsUrl,
        oauth2FederatedSignonJwkCertsUrl: server.jwksUrl,
      },
    });

    const ticket = await verifier.verifyIdToken({ idToken, audience: url });
    expect(ticket.getPayload()?.email).toBe(email);
  });
});

describe('tasks server: strict mode and tombstones', () => {
  it('when autoCreateQueues is off, then an unknown queue is NOT_FOUND; when the tombstone expires, then the name is free', async () => {
    const strict = await startTasksServer({ autoCreateQueues: false, tombstoneTtlMs: 100 });
    const strictClient = tasksClient(strict);
    try {
      const parent = queuePath('strict');
      const create = () =>
        strictClient.createTask({
          parent,
          task: { name: `${parent}/tasks/once`, httpRequest: { url: target.url } },
        });
      expect((await rejection(create())).code).toBe(5);

      await strictClient.createQueue({ parent: LOCATION, queue: { name: parent } });
      await create();
      await strict.idle();
      expect((await rejection(create())).code).toBe(6);
      await sleep(150);
      await create();
      await strict.idle();
      expect(strict.attempts('once').map((a) => a.outcome)).toEqual(['succeeded', 'succeeded']);
    } finally {
      await strictClient.close();
      await strict.close();
    }
  });

  it('when the client authenticates with an OAuth2Client instead, then errors surface as GaxiosError 409, not code 6', async () => {
    const oauth = new OAuth2Client();
    oauth.setCredentials({ access_token: 'local', expiry_date: Date.now() + 3_600_000 });
    const gaxiosClient = new CloudTasksClient({
      fallback: true,
      apiEndpoint: '127.0.0.1',
      port: server.port,
      protocol: 'http',
      authClient: oauth as unknown as ClientOptions['authClient'],
    });
    try {
      const parent = queuePath('gaxios');
      await client.createQueue({ parent: LOCATION, queue: { name: parent } });
      await client.pauseQueue({ name: parent });
      const task = { name: `${parent}/tasks/dup`, httpRequest: { url: target.url } };
      await gaxiosClient.createTask({ parent, task });

      const err = await rejection(gaxiosClient.createTask({ parent, task }));
      expect(err.constructor.name).toBe('GaxiosError');
      expect(err.status).toBe(409);
      expect(err.message).toContain('ALREADY_EXISTS');
    } finally {
      await gaxiosClient.close();
    }
  });
});

describe('nextRetryDelayMs', () => {
  const brief = { minBackoffMs: 1000, maxBackoffMs: 300_000, maxDoublings: 3 };
  const protoExample = { minBackoffMs: 10_000, maxBackoffMs: 300_000, maxDoublings: 3 };

  it.each([
    // min 1 s, max 300 s, 3 doublings: 1, 2, 4, 8, then +8 s each time, capped at 300 s.
    [brief, 1, 1000],
    [brief, 2, 2000],
    [brief, 3, 4000],
    [brief, 4, 8000],
    [brief, 5, 16_000],
    [brief, 6, 24_000],
    [brief, 7, 32_000],
    [brief, 40, 296_000],
    [brief, 41, 300_000],
    [brief, 500, 300_000],
    // The example in queue.proto: 10s, 20s, 40s, 80s, 160s, 240s, 300s, 300s.
    [protoExample, 1, 10_000],
    [protoExample, 4, 80_000],
    [protoExample, 5, 160_000],
    [protoExample, 6, 240_000],
    [protoExample, 7, 300_000],
    [protoExample, 8, 300_000],
    // Cloud Tasks defaults: 0.1 s doubling 16 times reaches the 1 h cap.
    [DEFAULT_RETRY_POLICY, 1, 100],
    [DEFAULT_RETRY_POLICY, 2, 200],
    [DEFAULT_RETRY_POLICY, 16, 100 * 2 ** 15],
    [DEFAULT_RETRY_POLICY, 17, 3_600_000],
  ])('when %o has made %i attempts, then the next wait is %i ms', (policy, attempts, expected) => {
    expect(nextRetryDelayMs(policy, attempts)).toBe(expected);
  });
});

describe('retriesExhausted', () => {
  it.each([
    [{ maxAttempts: 3, maxRetryDurationMs: 0 }, 2, 0, false],
    [{ maxAttempts: 3, maxRetryDurationMs: 0 }, 3, 0, true],
    [{ maxAttempts: -1, maxRetryDurationMs: 0 }, 10_000, 1e12, false],
    [{ maxAttempts: -1, maxRetryDurationMs: 60_000 }, 50, 59_999, false],
    [{ maxAttempts: -1, maxRetryDurationMs: 60_000 }, 50, 60_000, true],
    [{ maxAttempts: 3, maxRetryDurationMs: 60_000 }, 3, 1000, false],
    [{ maxAttempts: 3, maxRetryDurationMs: 60_000 }, 2, 120_000, false],
    [{ maxAttempts: 3, maxRetryDurationMs: 60_000 }, 3, 60_000, true],
  ])('when %o after %i attempts and %i ms, then exhausted is %s', (policy, attempts, elapsed, expected) => {
    expect(retriesExhausted(policy, attempts, elapsed)).toBe(expected);
  });
});
