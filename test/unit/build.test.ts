import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES, type FunctionName } from '../../functions/src/config.js';
import { REQUEST_BODY_LIMITS } from '../../functions/src/http/front-door.js';
import { buildFunctions } from '../../scripts/build.js';
import { FRONT_DOOR_NODE_OPTIONS } from '../../scripts/stack/functions.js';

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
      ...(REQUEST_BODY_LIMITS.has(name) ? [FRONT_DOOR_NODE_OPTIONS] : []),
    ].join(' '),
  };
}

/** Starts `name` from the build's main, as the framework's CLI does, and lists what it loaded. */
async function modulesLoadedBy(name: FunctionName): Promise<string[]> {
  const recordTo = join(build, `${name}.modules`);
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(pathToFileURL(join(build, 'functions/lib/index.js')).href)});
const { getTestServer } = await import('@google-cloud/functions-framework/testing');
getTestServer(${JSON.stringify(name)});`,
    ],
    { cwd: build, env: environmentOf(name, recordTo), stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exit = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(exit, errors).toBe(0);
  return readFileSync(recordTo, 'utf8').trim().split('\n');
}

beforeAll(async () => {
  mkdirSync(build, { recursive: true });
  copyFileSync(join(root, 'package.json'), join(build, 'package.json'));
  await buildFunctions(join(build, 'functions/lib'));
}, 60_000);

afterAll(() => rmSync(build, { recursive: true, force: true }));

describe('the deployed build', () => {
  it.each(FUNCTION_NAMES)(
    '%s starts from it, loading our code and zod from a handful of bundled files',
    async (name) => {
      const loaded = [...new Set(await modulesLoadedBy(name))];
      const ours = loaded.filter((url) => url.startsWith(pathToFileURL(build).href));
      expect(loaded.filter((url) => url.includes('/node_modules/zod/'))).toEqual([]);
      expect(loaded.filter((url) => url.includes('/functions/src/'))).toEqual([]);
      expect(ours.every((url) => url.startsWith(pathToFileURL(join(build, 'functions/lib/')).href))).toBe(
        true,
      );
      // Today 9 to 14 files, against 39 to 74 of ours when each file of functions/src was compiled alone.
      expect(ours.length).toBeGreaterThan(1);
      expect(ours.length).toBeLessThanOrEqual(20);
    },
    60_000,
  );
});
