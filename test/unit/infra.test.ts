import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  functionConfig,
  loadConfig,
  mediaFunctionConfig,
  recordingsFunctionConfig,
  recordingWorkerConfig,
} from '../../functions/src/config.js';
import { SIGNED_REQUESTS } from '../../functions/src/adapters/firestore/signed-requests.js';
import { SWEEP_LIMITS } from '../../functions/src/app/recordings/sweep.js';
import { REQUEST_BODY_LIMITS } from '../../functions/src/http/front-door.js';
import { FRONT_DOOR_NODE_OPTIONS } from '../../scripts/stack/functions.js';
import { RECORDING_WORKER_NODE_OPTIONS } from '../../scripts/stack/recordings.js';

/**
 * The Terraform in infra/, parsed (Terraform itself is not available to the tests) and checked for
 * the settings that matter: what runs, how it is triggered, where secrets come from, who may call
 * what, which APIs are on, and that Firestore rules and indexes come from the files the emulators use.
 */

// Required rather than imported: the package's type declarations reference the DOM library, which
// would then apply to every file of the program.
const { parse } = createRequire(import.meta.url)('@cdktf/hcl2json') as {
  parse: (filename: string, contents: string) => Promise<Record<string, unknown>>;
};

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The configuration check each function's module (functions/src/functions/) makes at its cold start. */
const OWN_CHECKS = new Map<string, (env: Record<string, string>) => unknown>([
  ['platformEvents', (env) => functionConfig('platformEvents', env)],
  ['platformEventsPubSub', (env) => functionConfig('platformEventsPubSub', env)],
  ['api', (env) => functionConfig('api', env)],
  ['recordingReady', (env) => recordingsFunctionConfig('recordingReady', env)],
  ['recordingWorker', (env) => recordingWorkerConfig(env)],
  ['sweeper', (env) => recordingsFunctionConfig('sweeper', env)],
  ['mediaReady', (env) => mediaFunctionConfig(env)],
]);
const infraDir = join(root, 'infra');

type Body = Record<string, unknown>;

function isBody(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asBody(value: unknown, what: string): Body {
  if (!isBody(value)) throw new Error(`${what} is not a block`);
  return value;
}

/** hcl2json gives every block as a list (a block type may repeat); `{ name: [body] }` maps become entries. */
function labelled(value: unknown, what: string): [string, Body][] {
  return Object.entries(asBody(value, what)).map(([name, bodies]) => {
    if (!Array.isArray(bodies) || bodies.length !== 1)
      throw new Error(`${what}.${name} is declared more than once`);
    return [name, asBody(bodies[0], `${what}.${name}`)];
  });
}

interface Infra {
  files: Map<string, string>;
  resources: Map<string, Body>;
  data: Map<string, Body>;
  variables: Map<string, Body>;
  outputs: Map<string, Body>;
  checks: Map<string, Body>;
  locals: Map<string, unknown>;
  terraform: Body[];
  providers: Map<string, Body>;
}

async function loadInfra(): Promise<Infra> {
  const infra: Infra = {
    files: new Map(),
    resources: new Map(),
    data: new Map(),
    variables: new Map(),
    outputs: new Map(),
    checks: new Map(),
    locals: new Map(),
    terraform: [],
    providers: new Map(),
  };
  const add = <T>(map: Map<string, T>, key: string, value: T) => {
    if (map.has(key)) throw new Error(`${key} is declared twice`);
    map.set(key, value);
  };
  const names = readdirSync(infraDir)
    .filter((name) => name.endsWith('.tf'))
    .sort();
  for (const name of names) {
    const text = readFileSync(join(infraDir, name), 'utf8');
    infra.files.set(name, text);
    const parsed = await parse(name, text); // rejects on any HCL syntax error
    for (const [kind, value] of Object.entries(parsed)) {
      if (kind === 'resource' || kind === 'data') {
        for (const [type, named] of Object.entries(asBody(value, kind))) {
          for (const [label, body] of labelled(named, `${kind}.${type}`)) {
            add(kind === 'resource' ? infra.resources : infra.data, `${type}.${label}`, body);
          }
        }
      } else if (kind === 'variable') {
        for (const [label, body] of labelled(value, kind)) add(infra.variables, label, body);
      } else if (kind === 'output') {
        for (const [label, body] of labelled(value, kind)) add(infra.outputs, label, body);
      } else if (kind === 'check') {
        for (const [label, body] of labelled(value, kind)) add(infra.checks, label, body);
      } else if (kind === 'provider') {
        for (const [label, body] of labelled(value, kind)) add(infra.providers, label, body);
      } else if (kind === 'locals') {
        for (const block of value as unknown[]) {
          for (const [key, local] of Object.entries(asBody(block, 'locals'))) add(infra.locals, key, local);
        }
      } else if (kind === 'terraform') {
        infra.terraform.push(...(value as unknown[]).map((block) => asBody(block, 'terraform')));
      }
    }
  }
  return infra;
}

const infra = await loadInfra();

function resource(address: string): Body {
  const body = infra.resources.get(address);
  if (!body) throw new Error(`infra/ declares no resource ${address}`);
  return body;
}

function resourcesOfType(type: string): [string, Body][] {
  return [...infra.resources].filter(([address]) => address.startsWith(`${type}.`));
}

function local(name: string): unknown {
  if (!infra.locals.has(name)) throw new Error(`infra/ declares no local ${name}`);
  return infra.locals.get(name);
}

/** A value, with a whole-string reference to a local (`${local.x}`) replaced by that local. */
function value(raw: unknown): unknown {
  const reference = typeof raw === 'string' ? /^\$\{local\.(\w+)\}$/.exec(raw) : null;
  return reference ? local(reference[1]!) : raw;
}

function blocks(body: Body, key: string): Body[] {
  const list = body[key];
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new Error(`${key} is not a block`);
  return list.map((item) => asBody(item, key));
}

function block(body: Body, key: string): Body {
  const list = blocks(body, key);
  if (list.length !== 1) throw new Error(`expected one ${key} block, found ${list.length}`);
  return list[0]!;
}

/** hcl2json gives `dynamic "x" { … }` as `dynamic: { x: [body] }`. */
function dynamicBlock(body: Body, key: string): Body {
  return block(asBody(body.dynamic, 'dynamic'), key);
}

/** Every string in a parsed value, however deep. */
function strings(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(strings);
  if (isBody(node)) return Object.values(node).flatMap(strings);
  return [];
}

/** Files an expression reads with file("${path.module}/…"), as absolute paths. */
function filesRead(expression: unknown): string[] {
  const paths = [...String(expression).matchAll(/file\("\$\{path\.module\}\/([^"]+)"\)/g)];
  return paths.map((match) => resolve(infraDir, match[1]!));
}

const ref = (address: string, attribute: string) => `\${${address}.${attribute}}`;

/**
 * A map: a block, a whole-string reference to a local, or `merge(local.x, local.y, …, { KEY =
 * expression … })` (which hcl2json leaves as text; the literal is optional): the locals' entries in
 * order, then the literal's, as `${expression}`.
 */
function mapOf(raw: unknown, what: string): Body {
  if (value(raw) !== raw) return mapOf(value(raw), what);
  const merge =
    typeof raw === 'string'
      ? /^\$\{merge\(((?:\s*local\.\w+\s*,)*\s*local\.\w+\s*)(?:,\s*\{([^{}]*)\}\s*)?\)\}$/s.exec(raw)
      : null;
  if (!merge) return asBody(raw, what);
  const entries: Body = {};
  for (const name of merge[1]!.split(',').map((part) => part.trim().replace(/^local\./, ''))) {
    Object.assign(entries, mapOf(local(name), `local.${name}`));
  }
  const lines = (merge[2] ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  for (const line of lines) {
    const entry = /^(\w+)\s*=\s*(\S.*)$/.exec(line);
    if (!entry) throw new Error(`${what}: cannot read "${line}"`);
    entries[entry[1]!] = `\${${entry[2]!}}`;
  }
  return entries;
}

function environmentOf(fn: Body): Body {
  return mapOf(block(fn, 'service_config').environment_variables, 'environment_variables');
}

/** Every key of a parsed value, however deep. */
function keys(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(keys);
  if (isBody(node)) return Object.entries(node).flatMap(([key, inner]) => [key, ...keys(inner)]);
  return [];
}

/**
 * The value an expression would take with the variables' defaults (a placeholder without one): every
 * `${…}` in it replaced. Knows variables, locals, upper/lower/tostring, resource names, a queue's id
 * and a service account's e-mail, the way the provider forms them; anything else throws.
 */
function sample(expression: unknown): string {
  return String(expression).replace(/\$\{([^{}]+)\}/g, (_, inner: string) => sampleOf(inner.trim()));
}

function sampleOf(expression: string): string {
  // A literal inside an expression (merge's arguments come out of hcl2json so).
  const literal = /^"([^"\\]*)"$/.exec(expression);
  if (literal) return literal[1]!;
  const call = /^(upper|lower|tostring)\((.+)\)$/.exec(expression);
  if (call) {
    const inner = sampleOf(call[2]!);
    return call[1] === 'upper' ? inner.toUpperCase() : call[1] === 'lower' ? inner.toLowerCase() : inner;
  }
  const variable = /^var\.(\w+)$/.exec(expression);
  if (variable) {
    const fallback = infra.variables.get(variable[1]!)?.default;
    return fallback === undefined ? `demo-${variable[1]!.replaceAll('_', '-')}` : String(fallback);
  }
  const localName = /^local\.(\w+)$/.exec(expression);
  if (localName) return sample(local(localName[1]!));
  const attribute = /^(google_\w+)\.(\w+)\.(\w+)$/.exec(expression);
  if (attribute) {
    const [, type, label, name] = attribute;
    const body = resource(`${type!}.${label!}`);
    const project = sampleOf('var.project_id');
    if (name === 'name') return sample(body.name);
    if (type === 'google_cloud_tasks_queue' && name === 'id')
      return `projects/${project}/locations/${sample(body.location)}/queues/${sample(body.name)}`;
    if (type === 'google_service_account' && name === 'email')
      return `${sample(body.account_id)}@${project}.iam.gserviceaccount.com`;
  }
  throw new Error(`no sample value for \${${expression}}`);
}

/** A sample value for a secret environment variable, in the form the code expects of it. */
const sampleSecret = (key: string) =>
  /PRIVATE_KEY/.test(key)
    ? `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(64)}\n-----END PRIVATE KEY-----\n`
    : 's'.repeat(32);

const httpFunction = resource('google_cloudfunctions2_function.platform_events');
const pubsubFunction = resource('google_cloudfunctions2_function.platform_events_pubsub');
const apiFunction = resource('google_cloudfunctions2_function.api');
const readyFunction = resource('google_cloudfunctions2_function.recording_ready');
const workerFunction = resource('google_cloudfunctions2_function.recording_worker');
const mediaReadyFunction = resource('google_cloudfunctions2_function.media_ready');
const sweeperFunction = resource('google_cloudfunctions2_function.sweeper');
const functions = [
  {
    address: 'google_cloudfunctions2_function.platform_events',
    body: httpFunction,
    entryPoint: 'platformEvents',
  },
  {
    address: 'google_cloudfunctions2_function.platform_events_pubsub',
    body: pubsubFunction,
    entryPoint: 'platformEventsPubSub',
  },
  {
    address: 'google_cloudfunctions2_function.api',
    body: apiFunction,
    entryPoint: 'api',
  },
  {
    address: 'google_cloudfunctions2_function.recording_ready',
    body: readyFunction,
    entryPoint: 'recordingReady',
  },
  {
    address: 'google_cloudfunctions2_function.recording_worker',
    body: workerFunction,
    entryPoint: 'recordingWorker',
  },
  {
    address: 'google_cloudfunctions2_function.sweeper',
    body: sweeperFunction,
    entryPoint: 'sweeper',
  },
  {
    address: 'google_cloudfunctions2_function.media_ready',
    body: mediaReadyFunction,
    entryPoint: 'mediaReady',
  },
];

const serviceAccountMember = (account: string) =>
  `serviceAccount:${ref(`google_service_account.${account}`, 'email')}`;

describe('infra/ files', () => {
  it('holds one file per concern, each valid HCL', () => {
    expect([...infra.files.keys()]).toEqual(
      expect.arrayContaining([
        'apis.tf',
        'firestore.tf',
        'functions.tf',
        'iam.tf',
        'outputs.tf',
        'pubsub.tf',
        'recordings.tf',
        'secrets.tf',
        'variables.tf',
        'versions.tf',
      ]),
    );
    expect(existsSync(join(infraDir, 'README.md'))).toBe(true);
  });

  it('requires Terraform 1.6 or later and the google provider 6.x', () => {
    const [settings] = infra.terraform;
    expect(infra.terraform).toHaveLength(1);
    expect(settings?.required_version).toBe('>= 1.6');
    const providers = block(settings!, 'required_providers');
    expect(providers.google).toEqual({ source: 'hashicorp/google', version: '~> 6.0' });
    expect(infra.providers.get('google')?.project).toBe('${var.project_id}');
  });

  it('has the documented variables and defaults', () => {
    const defaults = Object.fromEntries([...infra.variables].map(([name, body]) => [name, body.default]));
    expect(defaults).toMatchObject({
      project_id: undefined,
      source_archive_path: undefined,
      region: 'europe-west1',
      firestore_database_id: '(default)',
      firestore_directory_database_id: 'switchboard-directory',
      log_level: 'INFO',
      signature_max_skew_seconds: 300,
      signature_accept_v1: false,
      platform_commands_subscribers: [],
      salesforce_login_url: 'https://login.salesforce.com',
      salesforce_api_version: '62.0',
      salesforce_client_id: undefined,
      salesforce_username: undefined,
      recordings_writers: [],
      voicemail_bucket: undefined,
    });
    expect([...infra.variables.keys()]).toEqual(
      expect.arrayContaining(['project_id', 'source_archive_path', 'region', 'firestore_database_id']),
    );
  });
});

describe('functions', () => {
  it('the list checked below is every function infra/ declares', () => {
    expect(functions.map(({ address }) => address).sort()).toEqual(
      resourcesOfType('google_cloudfunctions2_function')
        .map(([address]) => address)
        .sort(),
    );
  });

  it('when deployed, then each runs nodejs22 with its own entry point', () => {
    expect(functions.map(({ entryPoint }) => entryPoint)).toEqual([
      'platformEvents',
      'platformEventsPubSub',
      'api',
      'recordingReady',
      'recordingWorker',
      'sweeper',
      'mediaReady',
    ]);
    for (const { body, entryPoint } of functions) {
      const build = block(body, 'build_config');
      expect(value(build.runtime)).toBe('nodejs22');
      expect(build.entry_point).toBe(entryPoint);
    }
  });

  it("the entry points are the functions registered by the package's main, one module each, each with the matching signature", () => {
    // The main imports the module that FUNCTION_TARGET names, from this table.
    const table = readFileSync(join(root, 'functions/src/entry-points.ts'), 'utf8');
    const modules = [...table.matchAll(/\['(\w+)', '\.\/(functions\/[\w-]+)\.js'\]/g)];
    expect(modules).toHaveLength([...table.matchAll(/\['\w+', /g)].length);
    const registered = modules.map(([, name, module]) => {
      const text = readFileSync(join(root, 'functions/src', `${module!}.ts`), 'utf8');
      const found = [...text.matchAll(/functions\.(http|cloudEvent)\(\s*'(\w+)'/g)].map(
        ([, kind, registeredName]) => `${kind!} ${registeredName!}`,
      );
      // Every registration call was read (none is written in a form the pattern above misses), and
      // each module registers the one function it is loaded for.
      expect(found, module).toHaveLength([...text.matchAll(/\bfunctions\.\w+\(/g)].length);
      expect(
        found.map((f) => f.split(' ')[1]),
        module,
      ).toEqual([name]);
      return found[0]!;
    });
    expect(readdirSync(join(root, 'functions/src/functions')).sort()).toEqual(
      modules.map(([, , module]) => `${module!.split('/')[1]!}.ts`).sort(),
    );
    expect(registered).toEqual(
      expect.arrayContaining([
        'http platformEvents',
        'cloudEvent platformEventsPubSub',
        'http api',
        'cloudEvent recordingReady',
        'http recordingWorker',
        'cloudEvent sweeper',
        'cloudEvent mediaReady',
      ]),
    );
    const deployed = resourcesOfType('google_cloudfunctions2_function').map(([, body]) => {
      const kind = blocks(body, 'event_trigger').length > 0 ? 'cloudEvent' : 'http';
      return `${kind} ${String(block(body, 'build_config').entry_point)}`;
    });
    expect(deployed.sort()).toEqual(registered.sort());
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main?: string };
    expect(pkg.main).toBe('functions/lib/index.js');
  });

  it('all are built from the one uploaded archive of the repository, renamed when its content changes', () => {
    for (const { body } of functions) {
      const source = block(block(block(body, 'build_config'), 'source'), 'storage_source');
      expect(source).toEqual({
        bucket: ref('google_storage_bucket.function_source', 'name'),
        object: ref('google_storage_bucket_object.function_source', 'name'),
      });
    }
    const archive = resource('google_storage_bucket_object.function_source');
    expect(archive.source).toBe('${var.source_archive_path}');
    expect(archive.name).toContain('${filemd5(var.source_archive_path)}');
  });

  it('when a message is published on platform-events, then platformEventsPubSub receives it, with retries', () => {
    const trigger = block(pubsubFunction, 'event_trigger');
    expect(trigger.event_type).toBe('google.cloud.pubsub.topic.v1.messagePublished');
    expect(trigger.pubsub_topic).toBe(ref('google_pubsub_topic.platform_events', 'id'));
    expect(resource('google_pubsub_topic.platform_events').name).toBe('platform-events');
    expect(trigger.retry_policy).toBe('RETRY_POLICY_RETRY');
  });

  it('each function runs as its own service account, and each Eventarc trigger as one more', () => {
    const accounts = [
      ...functions.map(({ body }) => block(body, 'service_config').service_account_email),
      ...functions.flatMap(({ body }) =>
        blocks(body, 'event_trigger').map((trigger) => trigger.service_account_email),
      ),
    ];
    expect(accounts).toEqual(
      [
        'platform_events_runtime',
        'platform_events_pubsub_runtime',
        'api_runtime',
        'recording_ready_runtime',
        'recording_worker_runtime',
        'sweeper_runtime',
        'media_ready_runtime',
        'platform_events_trigger',
        'recording_ready_trigger',
        'sweeper_trigger',
        'media_ready_trigger',
      ].map((account) => ref(`google_service_account.${account}`, 'email')),
    );
  });

  it('the plain environment holds the non-secret settings each function needs, each one config.ts reads, from variables and resources', () => {
    const config = readFileSync(join(root, 'functions/src/config.ts'), 'utf8');
    const common = [
      'FIRESTORE_DATABASE_ID',
      'GOOGLE_CLOUD_PROJECT',
      'LOG_LEVEL',
      'RECORDINGS_BUCKET',
      'VOICEMAIL_BUCKET',
      'RECORDINGS_QUEUE',
      'RECORDING_WORKER_URL',
      'RECORDING_TASKS_SERVICE_ACCOUNT',
    ];
    // Live chat offers (chat.tf): where their timeouts wait, and the commands to the platform.
    const chat = [
      'CHAT_OFFERS_QUEUE',
      'CHAT_OFFER_TIMEOUT_URL',
      'CHAT_TASKS_SERVICE_ACCOUNT',
      'PLATFORM_COMMANDS_TOPIC',
    ];
    const expected: Record<string, string[]> = {
      platformEvents: [
        ...common,
        ...chat,
        'PLATFORM_SIGNATURE_MAX_SKEW_SECONDS',
        'PLATFORM_SIGNATURE_ACCEPT_V1',
        'MEDIA_BUCKET',
      ],
      platformEventsPubSub: [...common, ...chat],
      api: [
        ...common,
        ...chat,
        'FIRESTORE_DIRECTORY_DATABASE_ID',
        'NOTIFICATION_TONES_BUCKET',
        'MEDIA_BUCKET',
      ],
      recordingReady: common,
      recordingWorker: [
        ...common,
        'SALESFORCE_LOGIN_URL',
        'SALESFORCE_CLIENT_ID',
        'SALESFORCE_USERNAME',
        'SALESFORCE_API_VERSION',
      ],
      sweeper: common,
      // Smart-action media: its bucket, and nothing of recordings.
      mediaReady: ['FIRESTORE_DATABASE_ID', 'GOOGLE_CLOUD_PROJECT', 'LOG_LEVEL', 'MEDIA_BUCKET'],
    };
    for (const { body, entryPoint } of functions) {
      // NODE_OPTIONS is Node's own (see the next test), not a setting of ours.
      const { NODE_OPTIONS: _nodeOptions, ...environment } = environmentOf(body);
      expect(Object.keys(environment).sort(), entryPoint).toEqual(expected[entryPoint]!.sort());
      for (const key of Object.keys(environment)) expect(config).toContain(`env.${key}`);
      for (const setting of Object.values(environment)) expect(setting).toMatch(/^\$\{.*\}$/s);
    }
    expect(environmentOf(apiFunction).PLATFORM_COMMANDS_TOPIC).toBe(
      ref('google_pubsub_topic.platform_commands', 'name'),
    );
  });

  it("each HTTP function loads the front door before the framework; the worker also has the benchmark's young generation", () => {
    const expected = new Map([
      ['api', FRONT_DOOR_NODE_OPTIONS],
      ['platformEvents', FRONT_DOOR_NODE_OPTIONS],
      ['recordingWorker', `${RECORDING_WORKER_NODE_OPTIONS} ${FRONT_DOOR_NODE_OPTIONS}`],
    ]);
    for (const { body, entryPoint } of functions) {
      expect(sample(environmentOf(body).NODE_OPTIONS ?? ''), entryPoint).toBe(expected.get(entryPoint) ?? '');
      // Every function reached over HTTP (no event trigger) has a body limit at the front door.
      expect(REQUEST_BODY_LIMITS.has(entryPoint), entryPoint).toBe(
        blocks(body, 'event_trigger').length === 0,
      );
    }
    // The preload is in the deployed build: a file of functions/src, one of the entry points the build
    // bundles into functions/lib (scripts/build.ts).
    const build = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as {
      compilerOptions: { rootDir: string; outDir: string };
      include: string[];
    };
    const preload = /^--require=\.\/(.+)\.js$/.exec(FRONT_DOOR_NODE_OPTIONS)![1]!;
    expect(preload.startsWith(`${build.compilerOptions.outDir}/`)).toBe(true);
    expect(build.include).toContain(build.compilerOptions.rootDir);
    const source = `${build.compilerOptions.rootDir}${preload.slice(build.compilerOptions.outDir.length)}.ts`;
    expect(existsSync(join(root, source)), source).toBe(true);
  });

  it('no function is pointed at an emulator (*_EMULATOR_HOST): with the Auth one, the api would accept unsigned tokens', () => {
    for (const { body, entryPoint } of functions) {
      const names = [...keys(body), ...Object.keys(environmentOf(body))];
      expect(names.length, entryPoint).toBeGreaterThan(0);
      expect(
        names.filter((name) => /EMULATOR_HOST/i.test(name)),
        entryPoint,
      ).toEqual([]);
    }
  });

  it('when started with the environment Terraform gives it, each function loads its configuration', () => {
    for (const { body, entryPoint } of functions) {
      const service = block(body, 'service_config');
      const env: Record<string, string> = { FUNCTION_TARGET: entryPoint, K_SERVICE: sample(body.name) };
      for (const [key, expression] of Object.entries(environmentOf(body))) env[key] = sample(expression);
      for (const secret of blocks(service, 'secret_environment_variables'))
        env[String(secret.key)] = sampleSecret(String(secret.key));
      expect(() => loadConfig(env), entryPoint).not.toThrow();
      const config = loadConfig(env);
      expect(config.authEmulatorHost, entryPoint).toBeUndefined();
      if (entryPoint === 'api') expect(config.platformCommandsTopic).toBe('platform-commands');
      // The check the function's own module makes at its cold start, which also wants what it serves.
      const ownCheck = OWN_CHECKS.get(entryPoint);
      expect(ownCheck, entryPoint).toBeDefined();
      expect(() => ownCheck!(env), entryPoint).not.toThrow();
    }
    // …and the checks are real: platformEvents does not start without its secret, and no function
    // starts on Cloud Run with the Auth emulator.
    expect(() =>
      loadConfig({
        FUNCTION_TARGET: 'platformEvents',
        GOOGLE_CLOUD_PROJECT: 'demo-x',
        K_SERVICE: 'platform-events',
      }),
    ).toThrow(/PLATFORM_SIGNING_SECRET/);
    expect(() =>
      loadConfig({
        FUNCTION_TARGET: 'api',
        GOOGLE_CLOUD_PROJECT: 'demo-x',
        K_SERVICE: 'switchboard-api',
        FIREBASE_AUTH_EMULATOR_HOST: '127.0.0.1:9099',
      }),
    ).toThrow(/FIREBASE_AUTH_EMULATOR_HOST/);
  });

  it('the event-triggered functions accept internal traffic only; the HTTP ones are reachable from the internet', () => {
    for (const { body, entryPoint } of functions) {
      const triggered = blocks(body, 'event_trigger').length > 0;
      expect(block(body, 'service_config').ingress_settings, entryPoint).toBe(
        triggered ? 'ALLOW_INTERNAL_ONLY' : 'ALLOW_ALL',
      );
    }
    expect(block(pubsubFunction, 'service_config').ingress_settings).toBe('ALLOW_INTERNAL_ONLY');
    expect(block(workerFunction, 'service_config').ingress_settings).toBe('ALLOW_ALL');
  });

  it('platformEvents and the api take many requests per instance, on a whole CPU', () => {
    for (const fn of [httpFunction, apiFunction]) {
      const service = block(fn, 'service_config');
      expect(Number(service.max_instance_request_concurrency)).toBeGreaterThan(1);
      expect(Number(service.available_cpu)).toBeGreaterThanOrEqual(1);
    }
  });

  it('the function URLs and the commands topic are outputs', () => {
    expect(infra.outputs.get('platform_events_url')?.value).toBe(
      ref('google_cloudfunctions2_function.platform_events', 'url'),
    );
    expect(infra.outputs.get('platform_events_pubsub_url')?.value).toBe(
      ref('google_cloudfunctions2_function.platform_events_pubsub', 'url'),
    );
    expect(infra.outputs.get('api_url')?.value).toBe(ref('google_cloudfunctions2_function.api', 'url'));
    expect(infra.outputs.get('platform_commands_topic')?.value).toBe(
      ref('google_pubsub_topic.platform_commands', 'id'),
    );
  });
});

interface Grant {
  /** The resource, with its for_each key: `google_x_iam_member.name["key"]`. */
  address: string;
  type: string;
  role: string;
  member: string;
  /** What the grant is on: the bucket, secret, service account, topic, subscription, service or queue name, else the project. */
  on: string;
}

/**
 * Every IAM grant infra/ makes (every *_iam_member), with a for_each over a local list or map
 * expanded into one grant per entry (`each.value` replaced); a for_each over a variable stays one grant
 * whose member is `${each.value}`.
 */
function allGrants(): Grant[] {
  return [...infra.resources]
    .filter(([address]) => /^google_\w+_iam_member\./.test(address))
    .flatMap(([address, body]) => {
      const type = address.split('.')[0]!;
      const on = String(
        body.bucket ??
          body.secret_id ??
          body.service_account_id ??
          body.topic ??
          body.subscription ??
          body.name ??
          body.project,
      );
      const overLocal = /^\$\{(?:toset\()?local\.(\w+)\)?\}$/.exec(String(body.for_each ?? ''));
      const entries: [string, string][] = !overLocal
        ? [['', '${each.value}']]
        : Array.isArray(local(overLocal[1]!))
          ? strings(local(overLocal[1]!)).map((item) => [item, item])
          : Object.entries(asBody(local(overLocal[1]!), overLocal[1]!)).map(([key, item]) => [
              key,
              String(item),
            ]);
      return entries.map(([key, item]) => ({
        address: key === '' ? address : `${address}["${key}"]`,
        type,
        role: String(body.role).replaceAll('${each.value}', item),
        member: String(body.member).replaceAll('${each.value}', item),
        on,
      }));
    });
}

const grants = allGrants();
const grantsTo = (member: string) => grants.filter((grant) => grant.member === member);

describe('secrets', () => {
  const secretVariables = (body: Body) =>
    blocks(block(body, 'service_config'), 'secret_environment_variables');

  /** Each function's secret variables, and the secret each comes from. */
  const secretsByFunction: Record<string, Record<string, string>> = {
    platformEvents: {
      PLATFORM_SIGNING_SECRET: 'platform_signing_secret',
      PLATFORM_SIGNING_SECRET_PREVIOUS: 'platform_signing_secret_previous',
    },
    platformEventsPubSub: {},
    api: {
      CRM_DOWNLOAD_KEY: 'crm_download_key',
      CRM_DOWNLOAD_KEY_PREVIOUS: 'crm_download_key_previous',
      NOTIFICATION_TONE_PREVIEW_KEY: 'notification_tone_preview_key',
    },
    recordingReady: {},
    recordingWorker: { SALESFORCE_PRIVATE_KEY: 'salesforce_private_key' },
    sweeper: {},
    mediaReady: {},
  };

  it('each secret a function reads comes from Secret Manager, latest version, and only the functions that need one have one', () => {
    for (const { body, entryPoint } of functions) {
      const secrets = secretVariables(body);
      const expected = secretsByFunction[entryPoint]!;
      expect(secrets.map((secret) => secret.key).sort(), entryPoint).toEqual(Object.keys(expected).sort());
      for (const secret of secrets) {
        expect(secret.secret, String(secret.key)).toBe(
          ref(`google_secret_manager_secret.${expected[String(secret.key)]!}`, 'secret_id'),
        );
        expect(secret.version).toBe('latest');
        expect(secret.project_id).toBe('${var.project_id}');
      }
    }
    // Their names in Secret Manager (README.md, "Secrets"): two rotated pairs and the Salesforce key.
    const secretIds = Object.fromEntries(
      resourcesOfType('google_secret_manager_secret').map(([address, body]) => [address, body.secret_id]),
    );
    expect(secretIds).toEqual({
      'google_secret_manager_secret.platform_signing_secret': 'platform-signing-secret',
      'google_secret_manager_secret.platform_signing_secret_previous': 'platform-signing-secret-previous',
      'google_secret_manager_secret.salesforce_private_key': 'salesforce-private-key',
      'google_secret_manager_secret.crm_download_key': 'crm-download-key',
      'google_secret_manager_secret.crm_download_key_previous': 'crm-download-key-previous',
      'google_secret_manager_secret.notification_tone_preview_key': 'notification-tone-preview-key',
    });
  });

  it('no .tf file holds a secret value, and no secret is a plain environment variable', () => {
    expect(resourcesOfType('google_secret_manager_secret_version')).toEqual([]);
    for (const [name, text] of infra.files) {
      expect(text, name).not.toMatch(/secret_data/);
    }
    for (const { body, entryPoint } of functions) {
      expect(
        Object.keys(environmentOf(body)).filter((key) => /SECRET|PRIVATE|_KEY(_PREVIOUS)?$/.test(key)),
        entryPoint,
      ).toEqual([]);
    }
  });

  it('each secret is readable by the one function that uses it, granted per secret, never project-wide', () => {
    const accessors = resourcesOfType('google_secret_manager_secret_iam_member').map(([, grant]) => {
      expect(grant.role).toBe('roles/secretmanager.secretAccessor');
      return `${String(grant.member)} -> ${String(grant.secret_id)}`;
    });
    const accountOf: Record<string, string> = {
      platformEvents: 'platform_events_runtime',
      api: 'api_runtime',
      recordingWorker: 'recording_worker_runtime',
    };
    const expected = Object.entries(secretsByFunction).flatMap(([entryPoint, secrets]) =>
      Object.values(secrets).map(
        (secret) =>
          `${serviceAccountMember(accountOf[entryPoint]!)} -> ${ref(`google_secret_manager_secret.${secret}`, 'id')}`,
      ),
    );
    expect(expected).toHaveLength(6);
    expect(accessors.sort()).toEqual(expected.sort());
    expect(
      grants.filter(
        (grant) =>
          grant.type !== 'google_secret_manager_secret_iam_member' && /secretmanager/.test(grant.role),
      ),
    ).toEqual([]);
  });
});

describe('access', () => {
  it('allUsers may invoke platformEvents and the api (both check credentials in code), and nothing else is public', () => {
    const publicGrants = [...infra.resources].filter(([, body]) =>
      strings(body).some((text) => /\ball(Authenticated)?Users\b/.test(text)),
    );
    expect(publicGrants.map(([address]) => address).sort()).toEqual([
      'google_cloud_run_v2_service_iam_member.api_public',
      'google_cloud_run_v2_service_iam_member.platform_events_public',
    ]);
    expect(resource('google_cloud_run_v2_service_iam_member.platform_events_public')).toMatchObject({
      name: ref('google_cloudfunctions2_function.platform_events', 'name'),
      role: 'roles/run.invoker',
      member: 'allUsers',
    });
    expect(resource('google_cloud_run_v2_service_iam_member.api_public')).toMatchObject({
      name: ref('google_cloudfunctions2_function.api', 'name'),
      role: 'roles/run.invoker',
      member: 'allUsers',
    });
    const pubsubService = ref('google_cloudfunctions2_function.platform_events_pubsub', 'name');
    expect(publicGrants.filter(([, grant]) => strings(grant).includes(pubsubService))).toEqual([]);
    // Nothing grants anything to the public another way either (bindings, policies, ACLs).
    expect(
      [...infra.resources.keys()].filter((address) =>
        /_iam_(binding|policy)\.|_access_control\./.test(address),
      ),
    ).toEqual([]);
  });

  it('each function that is not public may be invoked by one identity only: its trigger, or for the worker the tasks', () => {
    const invokers = (fn: string) =>
      resourcesOfType('google_cloud_run_v2_service_iam_member')
        .map(([, grant]) => grant)
        .filter((grant) => grant.name === ref(`google_cloudfunctions2_function.${fn}`, 'name'))
        .map((grant) => `${String(grant.role)} ${String(grant.member)}`);
    expect(invokers('platform_events_pubsub')).toEqual([
      `roles/run.invoker ${serviceAccountMember('platform_events_trigger')}`,
    ]);
    expect(invokers('recording_ready')).toEqual([
      `roles/run.invoker ${serviceAccountMember('recording_ready_trigger')}`,
    ]);
    expect(invokers('sweeper')).toEqual([`roles/run.invoker ${serviceAccountMember('sweeper_trigger')}`]);
    expect(invokers('media_ready')).toEqual([
      `roles/run.invoker ${serviceAccountMember('media_ready_trigger')}`,
    ]);
    expect(invokers('recording_worker')).toEqual([
      `roles/run.invoker ${serviceAccountMember('recording_tasks')}`,
    ]);
  });

  const runtimeAccounts = [
    'platform_events_runtime',
    'platform_events_pubsub_runtime',
    'api_runtime',
    'recording_ready_runtime',
    'recording_worker_runtime',
    'sweeper_runtime',
    'media_ready_runtime',
  ];

  it('each runtime account holds logging.logWriter on the project, and no other unconditional project role', () => {
    expect(local('runtime_project_roles')).toEqual(['roles/logging.logWriter']);
    for (const account of runtimeAccounts) {
      const grant = resource(`google_project_iam_member.${account}`);
      expect(grant.for_each).toBe('${toset(local.runtime_project_roles)}');
      expect(grant.role).toBe('${each.value}');
      expect(grant.member).toBe(`serviceAccount:${ref(`google_service_account.${account}`, 'email')}`);
    }
    const otherGrantsToRuntimeAccounts = resourcesOfType('google_project_iam_member')
      .filter(([, grant]) => /_runtime\.email\}$/.test(String(grant.member)))
      .map(([address]) => address);
    expect(otherGrantsToRuntimeAccounts.sort()).toEqual(
      runtimeAccounts.map((account) => `google_project_iam_member.${account}`).sort(),
    );
  });

  it('Firestore is granted per database: every runtime may use the sessions database, only the api the directory of people and roles', () => {
    const databaseOf = (address: string) => {
      const [condition] = blocks(resource(address), 'condition');
      return String(condition?.expression ?? '');
    };
    const members = (name: string) =>
      Object.entries(asBody(local(name), name))
        .map(([key, email]) => [key, String(email)])
        .sort();
    const main = resource('google_project_iam_member.firestore_main_users');
    const directory = resource('google_project_iam_member.firestore_directory_users');
    expect([main.role, directory.role]).toEqual(['roles/datastore.user', 'roles/datastore.user']);
    expect(main.for_each).toBe('${local.firestore_main_users}');
    expect(directory.for_each).toBe('${local.firestore_directory_users}');
    expect(databaseOf('google_project_iam_member.firestore_main_users')).toBe(
      'resource.name == "${local.firestore_main_database}"',
    );
    expect(local('firestore_main_database')).toBe(
      `projects/\${var.project_id}/databases/${ref('google_firestore_database.main', 'name')}`,
    );
    expect(databaseOf('google_project_iam_member.firestore_directory_users')).toBe(
      `resource.name == "projects/\${var.project_id}/databases/${ref('google_firestore_database.directory', 'name')}"`,
    );
    expect(
      members('firestore_main_users')
        .map(([, email]) => email)
        .sort(),
    ).toEqual(runtimeAccounts.map((account) => ref(`google_service_account.${account}`, 'email')).sort());
    // The public platform function (and every other) cannot write people or roles: only the api may.
    expect(members('firestore_directory_users')).toEqual([
      ['api', ref('google_service_account.api_runtime', 'email')],
    ]);
    expect(local('directory_collections')).toEqual(['users', 'roles']);
    // No Firestore role anywhere without a database condition.
    for (const [address, grant] of resourcesOfType('google_project_iam_member'))
      if (/datastore/.test(String(grant.role)) || /datastore/.test(JSON.stringify(value(grant.for_each))))
        expect(blocks(grant, 'condition'), address).toHaveLength(1);
  });

  it('the directory is a database of its own, apart from the sessions database, as protected, with the same rules', () => {
    const directory = resource('google_firestore_database.directory');
    expect(directory).toMatchObject({
      name: '${var.firestore_directory_database_id}',
      type: 'FIRESTORE_NATIVE',
      delete_protection_state: 'DELETE_PROTECTION_ENABLED',
      deletion_policy: 'ABANDON',
    });
    const validation = block(
      asBody(infra.variables.get('firestore_directory_database_id'), 'variable'),
      'validation',
    );
    expect(validation.condition).toBe('${var.firestore_directory_database_id != var.firestore_database_id}');
    const release = resource('google_firebaserules_release.firestore_directory');
    expect(release.name).toContain(ref('google_firestore_database.directory', 'name'));
    expect(release.ruleset_name).toContain(ref('google_firebaserules_ruleset.firestore', 'name'));
  });

  it("the only Pub/Sub role on the whole project is the Cloud Storage agent's publisher (Eventarc's Storage trigger), no Storage role is, and project IAM is only ever granted member by member", () => {
    const projectGrants = grants.filter((grant) => grant.type === 'google_project_iam_member');
    const roles = projectGrants.map((grant) => grant.role);
    expect(roles).toEqual(
      expect.arrayContaining(['roles/datastore.user', 'roles/cloudbuild.builds.builder']),
    );
    expect(
      projectGrants.filter((grant) => grant.role.includes('pubsub')).map((grant) => grant.member),
    ).toEqual(['serviceAccount:${data.google_storage_project_service_account.this.email_address}']);
    expect(infra.data.has('google_storage_project_service_account.this')).toBe(true);
    expect(
      projectGrants.filter((grant) => /storage|cloudtasks|iam\.serviceAccount|run\./.test(grant.role)),
    ).toEqual([]);
    for (const type of ['google_project_iam_binding', 'google_project_iam_policy']) {
      expect(resourcesOfType(type), type).toEqual([]);
    }
  });

  it("the api's account may publish to platform-commands, read recordings and its two download keys, keep the tones bucket and read the preview key, and holds nothing else but its project roles", () => {
    expect(
      grantsTo(serviceAccountMember('api_runtime'))
        .filter((grant) => grant.type !== 'google_project_iam_member')
        .map((grant) => `${grant.role} on ${grant.on}`)
        .sort(),
    ).toEqual(
      [
        `roles/pubsub.publisher on ${ref('google_pubsub_topic.platform_commands', 'id')}`,
        `roles/cloudtasks.enqueuer on ${ref('google_cloud_tasks_queue.chat_offers', 'name')}`,
        `roles/iam.serviceAccountUser on ${ref('google_service_account.chat_tasks', 'name')}`,
        `roles/storage.objectViewer on ${ref('google_storage_bucket.recordings', 'name')}`,
        `roles/secretmanager.secretAccessor on ${ref('google_secret_manager_secret.crm_download_key', 'id')}`,
        `roles/secretmanager.secretAccessor on ${ref('google_secret_manager_secret.crm_download_key_previous', 'id')}`,
        `roles/storage.objectAdmin on ${ref('google_storage_bucket.notification_tones', 'name')}`,
        `roles/secretmanager.secretAccessor on ${ref('google_secret_manager_secret.notification_tone_preview_key', 'id')}`,
        `roles/storage.objectViewer on ${ref('google_storage_bucket.media', 'name')}`,
        `roles/iam.serviceAccountTokenCreator on ${ref('google_service_account.api_runtime', 'name')}`,
      ].sort(),
    );
  });
});

describe('Pub/Sub dead letters', () => {
  it('a dead-letter topic keeps failed messages 7 days in a subscription, and the Pub/Sub agent may publish to it', () => {
    expect(resource('google_pubsub_topic.platform_events_dead_letter').name).toBe(
      'platform-events-dead-letter',
    );
    const subscription = resource('google_pubsub_subscription.platform_events_dead_letter');
    expect(subscription.topic).toBe(ref('google_pubsub_topic.platform_events_dead_letter', 'id'));
    expect(subscription.message_retention_duration).toBe('604800s');
    const publisher = resource('google_pubsub_topic_iam_member.dead_letter_publisher');
    expect(publisher.topic).toBe(ref('google_pubsub_topic.platform_events_dead_letter', 'id'));
    expect(publisher.role).toBe('roles/pubsub.publisher');
    expect(value(publisher.member)).toMatch(
      /^serviceAccount:service-\$\{.+\}@gcp-sa-pubsub\.iam\.gserviceaccount\.com$/,
    );
  });
});

describe('Pub/Sub platform commands', () => {
  it('the platform-commands topic keeps messages 7 days, so commands outlive a late or lost subscription', () => {
    const topic = resource('google_pubsub_topic.platform_commands');
    expect(topic.name).toBe('platform-commands');
    expect(topic.message_retention_duration).toBe('604800s');
  });

  it("the platform's pull subscription never expires, and the platform_commands_subscribers variable (empty by default) may pull from it", () => {
    const subscription = resource('google_pubsub_subscription.platform_commands_platform');
    expect(subscription).toMatchObject({
      name: 'platform-commands-platform',
      topic: ref('google_pubsub_topic.platform_commands', 'id'),
      ack_deadline_seconds: 60,
    });
    expect(blocks(subscription, 'push_config')).toEqual([]);
    expect(block(subscription, 'expiration_policy')).toEqual({ ttl: '' });

    const variable = infra.variables.get('platform_commands_subscribers');
    expect(variable?.default).toEqual([]);
    expect(variable?.type).toBe('${list(string)}');
    const grant = resource('google_pubsub_subscription_iam_member.platform_commands_subscribers');
    expect(grant).toMatchObject({
      for_each: '${toset(var.platform_commands_subscribers)}',
      subscription: ref('google_pubsub_subscription.platform_commands_platform', 'name'),
      role: 'roles/pubsub.subscriber',
      member: '${each.value}',
    });
    expect(resourcesOfType('google_pubsub_subscription_iam_member').map(([address]) => address)).toEqual([
      'google_pubsub_subscription_iam_member.platform_commands_subscribers',
    ]);
  });

  it('platform_commands_subscribers refuses allUsers and allAuthenticatedUsers', () => {
    const condition = String(
      block(infra.variables.get('platform_commands_subscribers')!, 'validation').condition,
    );
    const pattern = /regex\("((?:[^"\\]|\\.)*)"/.exec(condition)?.[1];
    expect(pattern).toBeDefined();
    const accepts = (member: string) => new RegExp(pattern!).test(member);
    expect(accepts('serviceAccount:commands@platform.iam.gserviceaccount.com')).toBe(true);
    expect(accepts('allUsers')).toBe(false);
    expect(accepts('allAuthenticatedUsers')).toBe(false);
  });
});

/** A protobuf Duration as Terraform writes it ("518400s"), in seconds; anything else throws. */
function durationSeconds(duration: unknown): number {
  const match = /^(\d+(?:\.\d+)?)s$/.exec(String(duration));
  if (!match) throw new Error(`not a duration: ${String(duration)}`);
  return Number(match[1]);
}

const DAY = 24 * 60 * 60;

describe('recordings', () => {
  const bucket = resource('google_storage_bucket.recordings');
  const queue = resource('google_cloud_tasks_queue.recordings');
  const bucketName = ref('google_storage_bucket.recordings', 'name');
  const queueId = ref('google_cloud_tasks_queue.recordings', 'id');
  const tasksAccount = serviceAccountMember('recording_tasks');
  const runtimeOf = (fn: string) => serviceAccountMember(`${fn}_runtime`);

  describe('bucket', () => {
    it('uploaded tones (NOT-4) have a bucket of their own, private, with no lifecycle rule to delete them, that only the api may use', () => {
      const tones = resource('google_storage_bucket.notification_tones');
      const tonesName = ref('google_storage_bucket.notification_tones', 'name');
      expect(tones.name).not.toBe(bucket.name);
      expect(tones.public_access_prevention).toBe('enforced');
      expect(blocks(tones, 'lifecycle_rule')).toEqual([]);
      expect(
        grants.filter((grant) => grant.on === tonesName).map((grant) => `${grant.role} ${grant.member}`),
      ).toEqual([`roles/storage.objectAdmin ${runtimeOf('api')}`]);
      expect(environmentOf(apiFunction).NOTIFICATION_TONES_BUCKET).toBe(tonesName);
    });

    it('when an object is deleted, then soft delete keeps nothing (it would keep it 7 more days)', () => {
      expect(block(bucket, 'soft_delete_policy')).toEqual({ retention_duration_seconds: 0 });
    });

    it('when an object is 6 days old, then the lifecycle deletes it: with up to a day of lag, within 7 days', () => {
      const rules = blocks(bucket, 'lifecycle_rule');
      const deletions = rules.filter((rule) => block(rule, 'action').type === 'Delete');
      expect(deletions).toHaveLength(1);
      const condition = block(deletions[0]!, 'condition');
      // Age alone: any other condition would let some objects escape the rule.
      expect(Object.keys(condition)).toEqual(['age']);
      const age = Number(condition.age);
      expect(age).toBeGreaterThan(0);
      expect(age).toBeLessThanOrEqual(6);
      expect((age + 1) * DAY).toBeLessThanOrEqual(7 * DAY);
    });

    it('is private: public access prevention enforced, uniform bucket-level access, one version per object, never destroyed with its objects', () => {
      expect(bucket.public_access_prevention).toBe('enforced');
      expect(bucket.uniform_bucket_level_access).toBe(true);
      expect(block(bucket, 'versioning')).toEqual({ enabled: false });
      expect(bucket.force_destroy).toBe(false);
      expect(bucket.location).toBe('${var.region}');
    });

    it('only the worker and the sweeper may delete recordings, only recordingReady and the api read them, and the writers may only create them', () => {
      const onBucket = grants
        .filter((grant) => grant.on === bucketName)
        .map((grant) => `${grant.type} ${grant.role} ${grant.member}`);
      expect(onBucket.sort()).toEqual(
        [
          `google_storage_bucket_iam_member roles/storage.objectAdmin ${runtimeOf('recording_worker')}`,
          `google_storage_bucket_iam_member roles/storage.objectAdmin ${runtimeOf('sweeper')}`,
          `google_storage_bucket_iam_member roles/storage.objectViewer ${runtimeOf('recording_ready')}`,
          `google_storage_bucket_iam_member roles/storage.objectViewer ${runtimeOf('api')}`,
          `google_storage_bucket_iam_member roles/storage.objectCreator \${each.value}`,
        ].sort(),
      );
      expect(resource('google_storage_bucket_iam_member.recordings_writers').for_each).toBe(
        '${toset(var.recordings_writers)}',
      );
      // Nothing on any bucket names the public, and nothing but these grants touches this one.
      const storageGrants = grants.filter((grant) => grant.type.startsWith('google_storage_'));
      expect(storageGrants.filter((grant) => /all(Authenticated)?Users/.test(grant.member))).toEqual([]);
      expect(
        storageGrants.filter(
          (grant) =>
            grant.on !== bucketName &&
            grant.on !== '${var.voicemail_bucket}' &&
            grant.on !== ref('google_storage_bucket.notification_tones', 'name') &&
            grant.on !== ref('google_storage_bucket.media', 'name'),
        ),
      ).toEqual([]);
    });

    it('the worker and the sweeper, and no one else here, may read and delete voicemails in the voicemail bucket, which every function that touches recordings is told', () => {
      const onVoicemails = grants
        .filter((grant) => grant.on === '${var.voicemail_bucket}')
        .map((grant) => `${grant.type} ${grant.role} ${grant.member}`);
      expect(onVoicemails.sort()).toEqual(
        [
          `google_storage_bucket_iam_member roles/storage.objectAdmin ${runtimeOf('recording_worker')}`,
          `google_storage_bucket_iam_member roles/storage.objectAdmin ${runtimeOf('sweeper')}`,
        ].sort(),
      );
      const condition = String(block(infra.variables.get('voicemail_bucket')!, 'validation').condition);
      expect(condition).toContain('var.voicemail_bucket');
    });

    it('recordings_writers refuses allUsers and allAuthenticatedUsers', () => {
      const condition = String(block(infra.variables.get('recordings_writers')!, 'validation').condition);
      const pattern = /regex\("((?:[^"\\]|\\.)*)"/.exec(condition)?.[1];
      expect(pattern).toBeDefined();
      const accepts = (member: string) => new RegExp(pattern!).test(member);
      expect(accepts('serviceAccount:recorder@platform.iam.gserviceaccount.com')).toBe(true);
      expect(accepts('allUsers')).toBe(false);
      expect(accepts('allAuthenticatedUsers')).toBe(false);
    });
  });

  describe('queue', () => {
    it("is the recordings queue, in the functions' region", () => {
      expect(queue.name).toBe('recordings');
      expect(queue.location).toBe('${var.region}');
    });

    it('when a task keeps failing, then it is retried without an attempt limit for less than 7 days', () => {
      const retry = block(queue, 'retry_config');
      expect(retry.max_attempts).toBe(-1);
      const duration = durationSeconds(retry.max_retry_duration);
      expect(duration).toBeGreaterThan(0);
      expect(duration).toBeLessThan(7 * DAY);
      expect(duration).toBe(6 * DAY);
    });

    it('backs off from 10 s, doubling 8 times, to at most an hour', () => {
      const retry = block(queue, 'retry_config');
      expect(durationSeconds(retry.min_backoff)).toBe(10);
      expect(durationSeconds(retry.max_backoff)).toBe(3600);
      expect(retry.max_doublings).toBe(8);
      expect(durationSeconds(retry.min_backoff)).toBeLessThan(durationSeconds(retry.max_backoff));
    });

    it('dispatches at most 20 tasks at once, 5 a second, and logs every attempt', () => {
      expect(block(queue, 'rate_limits')).toEqual({
        max_concurrent_dispatches: 20,
        max_dispatches_per_second: 5,
      });
      expect(block(queue, 'stackdriver_logging_config')).toEqual({ sampling_ratio: 1 });
    });

    it('the functions that create tasks may enqueue on this queue and act as recording-tasks, and nobody else may', () => {
      const creators = [
        'platform_events',
        'platform_events_pubsub',
        'recording_ready',
        'recording_worker',
        'sweeper',
      ].map(runtimeOf);
      const chatQueue = ref('google_cloud_tasks_queue.chat_offers', 'name');
      const enqueuers = grants.filter(
        (grant) => grant.role === 'roles/cloudtasks.enqueuer' && grant.on !== chatQueue,
      );
      expect(enqueuers.map((grant) => grant.member).sort()).toEqual([...creators].sort());
      for (const grant of enqueuers) {
        expect(grant.type).toBe('google_cloud_tasks_queue_iam_member');
        expect(grant.on).toBe(ref('google_cloud_tasks_queue.recordings', 'name'));
      }
      const actAs = grants.filter(
        (grant) => grant.on === ref('google_service_account.recording_tasks', 'name'),
      );
      expect(actAs.map((grant) => `${grant.role} ${grant.member}`).sort()).toEqual(
        creators.map((member) => `roles/iam.serviceAccountUser ${member}`).sort(),
      );
      // Nothing may act as recording-tasks project-wide (which would let it act as every account).
      const chatTasks = ref('google_service_account.chat_tasks', 'name');
      // mediaReady signs download URLs as itself (media.tf), and as nobody else.
      const mediaSigners = ['media_ready_runtime', 'api_runtime'].map((account) =>
        ref(`google_service_account.${account}`, 'name'),
      );
      expect(
        grants.filter(
          (grant) =>
            /serviceAccount(User|TokenCreator)/.test(grant.role) &&
            grant.on !== chatTasks &&
            !mediaSigners.includes(grant.on),
        ),
      ).toEqual(actAs);
    });

    it('the functions that offer live chats (platformEvents, platformEventsPubSub, the api) may enqueue offer timeouts and act as chat-tasks, and nobody else may', () => {
      const creators = ['platform_events', 'platform_events_pubsub', 'api'].map(runtimeOf);
      const chatQueue = ref('google_cloud_tasks_queue.chat_offers', 'name');
      const enqueuers = grants.filter((grant) => grant.on === chatQueue);
      expect(enqueuers.map((grant) => `${grant.role} ${grant.member}`).sort()).toEqual(
        creators.map((member) => `roles/cloudtasks.enqueuer ${member}`).sort(),
      );
      const actAs = grants.filter((grant) => grant.on === ref('google_service_account.chat_tasks', 'name'));
      expect(actAs.map((grant) => `${grant.role} ${grant.member}`).sort()).toEqual(
        creators.map((member) => `roles/iam.serviceAccountUser ${member}`).sort(),
      );
    });

    it('recording-tasks may invoke the worker and nothing else', () => {
      expect(resource('google_service_account.recording_tasks').account_id).toBe('recording-tasks');
      expect(grantsTo(tasksAccount).map((grant) => `${grant.role} on ${grant.on}`)).toEqual([
        `roles/run.invoker on ${ref('google_cloudfunctions2_function.recording_worker', 'name')}`,
      ]);
    });
  });

  describe('functions', () => {
    it('when a recording object is finalized in the recordings bucket, then recordingReady receives it, with retries', () => {
      const trigger = block(readyFunction, 'event_trigger');
      expect(trigger.event_type).toBe('google.cloud.storage.object.v1.finalized');
      expect(blocks(trigger, 'event_filters')).toEqual([{ attribute: 'bucket', value: bucketName }]);
      expect(trigger.retry_policy).toBe('RETRY_POLICY_RETRY');
      // A Storage trigger must be in its bucket's location.
      expect(trigger.trigger_region).toBe(bucket.location);
      expect(block(readyFunction, 'service_config').timeout_seconds).toBe(540);
      expect(block(readyFunction, 'service_config').available_memory).toBe('512Mi');
    });

    it("Eventarc's Storage trigger may work: the Storage agent publishes on the project, the trigger account receives events", () => {
      expect(
        grants
          .filter((grant) => grant.type === 'google_project_iam_member')
          .filter((grant) => ['roles/pubsub.publisher', 'roles/eventarc.eventReceiver'].includes(grant.role))
          .map((grant) => `${grant.role} ${grant.member}`)
          .sort(),
      ).toEqual(
        [
          `roles/eventarc.eventReceiver ${serviceAccountMember('recording_ready_trigger')}`,
          `roles/eventarc.eventReceiver ${serviceAccountMember('media_ready_trigger')}`,
          'roles/pubsub.publisher serviceAccount:${data.google_storage_project_service_account.this.email_address}',
        ].sort(),
      );
    });

    it('when the hourly Cloud Scheduler job publishes on sweeper-ticks, then the sweeper receives it, with retries', () => {
      const topic = ref('google_pubsub_topic.sweeper_ticks', 'id');
      expect(resource('google_pubsub_topic.sweeper_ticks').name).toBe('sweeper-ticks');
      const trigger = block(sweeperFunction, 'event_trigger');
      expect(trigger.event_type).toBe('google.cloud.pubsub.topic.v1.messagePublished');
      expect(trigger.pubsub_topic).toBe(topic);
      expect(trigger.retry_policy).toBe('RETRY_POLICY_RETRY');
      expect(block(sweeperFunction, 'service_config').timeout_seconds).toBe(540);
      // A sweep starts nothing new after its time budget: the step under way has minutes to end.
      expect(SWEEP_LIMITS.timeBudgetMs / 1000).toBeLessThanOrEqual(540 - 180);

      const jobs = resourcesOfType('google_cloud_scheduler_job').map(([, job]) => job);
      expect(jobs).toHaveLength(1);
      expect(jobs[0]).toMatchObject({ schedule: '0 * * * *', time_zone: 'Etc/UTC', region: '${var.region}' });
      expect(block(jobs[0]!, 'pubsub_target').topic_name).toBe(topic);
    });

    it('the worker runs one upload per instance for up to 30 minutes, on as many instances as the queue dispatches at once', () => {
      const service = block(workerFunction, 'service_config');
      expect(service.timeout_seconds).toBe(1800);
      expect(service.max_instance_request_concurrency).toBe(1);
      expect(service.available_memory).toBe('512Mi');
      expect(Number(service.max_instance_count)).toBeGreaterThanOrEqual(
        Number(block(queue, 'rate_limits').max_concurrent_dispatches),
      );
      expect(blocks(workerFunction, 'event_trigger')).toEqual([]);
    });

    it('each function that touches recordings is told the bucket, the queue, the worker URL and the tasks account', () => {
      const expected = {
        RECORDINGS_BUCKET: bucketName,
        VOICEMAIL_BUCKET: '${var.voicemail_bucket}',
        RECORDINGS_QUEUE: queueId,
        RECORDING_WORKER_URL: '${local.recording_worker_url}',
        RECORDING_TASKS_SERVICE_ACCOUNT: ref('google_service_account.recording_tasks', 'email'),
      };
      for (const fn of [
        readyFunction,
        workerFunction,
        sweeperFunction,
        apiFunction,
        httpFunction,
        pubsubFunction,
      ]) {
        expect(environmentOf(fn), String(fn.name)).toMatchObject(expected);
      }
      const project = sample('${var.project_id}');
      const region = sample('${var.region}');
      expect(sample(environmentOf(workerFunction).RECORDINGS_QUEUE)).toBe(
        `projects/${project}/locations/${region}/queues/recordings`,
      );
      expect(sample(environmentOf(workerFunction).RECORDING_TASKS_SERVICE_ACCOUNT)).toBe(
        `recording-tasks@${project}.iam.gserviceaccount.com`,
      );
    });

    it("the worker URL is the worker's own: Cloud Functions' URL for its name, checked against the deployed URL at plan time", () => {
      const name = sample(workerFunction.name);
      expect(name).toBe('recording-worker');
      expect(workerFunction.location).toBe('${var.region}');
      expect(sample(local('recording_worker_url'))).toBe(
        `https://${sample('${var.region}')}-${sample('${var.project_id}')}.cloudfunctions.net/${name}`,
      );
      expect(new URL(sample(local('recording_worker_url'))).pathname).toBe(`/${name}`);
      const check = infra.checks.get('recording_worker_url');
      expect(check).toBeDefined();
      expect(block(check!, 'assert').condition).toBe(
        '${google_cloudfunctions2_function.recording_worker.url == local.recording_worker_url}',
      );
    });

    it('the worker is given the Salesforce settings from variables, and its private key as a secret only', () => {
      const environment = environmentOf(workerFunction);
      expect(environment).toMatchObject({
        SALESFORCE_LOGIN_URL: '${var.salesforce_login_url}',
        SALESFORCE_CLIENT_ID: '${var.salesforce_client_id}',
        SALESFORCE_USERNAME: '${var.salesforce_username}',
        SALESFORCE_API_VERSION: '${var.salesforce_api_version}',
      });
      for (const name of [
        'salesforce_login_url',
        'salesforce_client_id',
        'salesforce_username',
        'salesforce_api_version',
      ]) {
        expect(String(infra.variables.get(name)?.description ?? ''), name).not.toBe('');
      }
      expect(infra.variables.get('salesforce_api_version')?.default).toBe('62.0');

      const secrets = blocks(block(workerFunction, 'service_config'), 'secret_environment_variables');
      expect(secrets).toEqual([
        {
          key: 'SALESFORCE_PRIVATE_KEY',
          project_id: '${var.project_id}',
          secret: ref('google_secret_manager_secret.salesforce_private_key', 'secret_id'),
          version: 'latest',
        },
      ]);
      for (const { body, entryPoint } of functions) {
        expect(Object.keys(environmentOf(body)), entryPoint).not.toContain('SALESFORCE_PRIVATE_KEY');
      }
    });

    it('the bucket, the queue and the worker URL are outputs', () => {
      expect(infra.outputs.get('recordings_bucket')?.value).toBe(bucketName);
      expect(infra.outputs.get('recordings_queue')?.value).toBe(queueId);
      expect(infra.outputs.get('recording_worker_url')?.value).toBe(
        ref('google_cloudfunctions2_function.recording_worker', 'url'),
      );
    });
  });
});

describe('APIs', () => {
  it('every API the deployment needs is enabled, and left on when the stack is destroyed', () => {
    expect(local('required_apis')).toEqual(
      expect.arrayContaining(
        [
          'cloudfunctions',
          'run',
          'cloudbuild',
          'artifactregistry',
          'eventarc',
          'pubsub',
          'firestore',
          'secretmanager',
          'cloudtasks',
          'cloudscheduler',
          'storage',
          'firebaserules',
          'logging',
          'identitytoolkit',
        ].map((api) => `${api}.googleapis.com`),
      ),
    );
    const services = resource('google_project_service.required');
    expect(services.for_each).toBe('${toset(local.required_apis)}');
    expect(services.service).toBe('${each.value}');
    expect(services.disable_on_destroy).toBe(false);
  });
});

describe('Firestore', () => {
  it('a native-mode database named by the firestore_database_id variable', () => {
    const database = resource('google_firestore_database.main');
    expect(database.type).toBe('FIRESTORE_NATIVE');
    expect(database.name).toBe('${var.firestore_database_id}');
  });

  it('the released rules are the firestore.rules file the emulators use', () => {
    const ruleset = resource('google_firebaserules_ruleset.firestore');
    const [file] = blocks(block(ruleset, 'source'), 'files');
    expect(file?.name).toBe('firestore.rules');
    expect(filesRead(file?.content)).toEqual([join(root, 'firestore.rules')]);
    expect(existsSync(join(root, 'firestore.rules'))).toBe(true);
    expect(JSON.parse(readFileSync(join(root, 'firebase.json'), 'utf8')).firestore.rules).toBe(
      'firestore.rules',
    );

    const release = resource('google_firebaserules_release.firestore');
    expect(release.ruleset_name).toContain(ref('google_firebaserules_ruleset.firestore', 'name'));
    expect(release.name).toContain('"cloud.firestore"');
    expect(block(release, 'lifecycle').replace_triggered_by).toEqual([
      '${google_firebaserules_ruleset.firestore}',
    ]);
  });

  it('one composite index is created per entry of firestore.indexes.json', () => {
    expect(filesRead(local('firestore_indexes'))).toEqual([join(root, 'firestore.indexes.json')]);
    expect(local('firestore_indexes')).toMatch(/^\$\{jsondecode\(file\(.*\)\)\.indexes\}$/);
    expect(local('firestore_indexes_by_key')).toMatch(/for \w+ in local\.firestore_indexes\s*:/);

    const index = resource('google_firestore_index.composite');
    expect(index.for_each).toBe('${local.firestore_indexes_by_key}');
    // People's and roles' indexes go to the directory database, the others to the sessions one.
    expect(index.database).toContain('contains(local.directory_collections, each.value.collectionGroup)');
    expect(index.database).toContain('google_firestore_database.directory.name');
    expect(index.database).toContain('google_firestore_database.main.name');
    expect(index.collection).toBe('${each.value.collectionGroup}');
    expect(index.query_scope).toContain('each.value.queryScope');

    const fields = dynamicBlock(index, 'fields');
    expect(fields.for_each).toBe('${each.value.fields}');
    const content = block(fields, 'content');
    expect(content.field_path).toBe('${fields.value.fieldPath}');
    expect(content.order).toContain('fields.value.order');
    expect(content.array_config).toContain('fields.value.arrayConfig');
  });

  it('replay-guard documents expire through a TTL policy on signedRequests.expiresAt, the field the ledger writes', () => {
    const ttl = resource('google_firestore_field.signed_requests_ttl');
    expect(ttl.database).toBe(ref('google_firestore_database.main', 'name'));
    expect(ttl.collection).toBe(SIGNED_REQUESTS);
    expect(ttl.field).toBe('expiresAt');
    expect(blocks(ttl, 'ttl_config')).toHaveLength(1);
    const ledger = readFileSync(join(root, 'functions/src/adapters/firestore/signed-requests.ts'), 'utf8');
    expect(ledger).toContain('create({ expiresAt })');
  });

  it('firestore.indexes.json uses only what firestore.tf maps (collectionGroup, queryScope, fieldPath, order|arrayConfig)', () => {
    const file = JSON.parse(readFileSync(join(root, 'firestore.indexes.json'), 'utf8')) as {
      indexes?: unknown;
    };
    expect(Array.isArray(file.indexes)).toBe(true);
    for (const entry of file.indexes as unknown[]) {
      const index = asBody(entry, 'index');
      expect(
        Object.keys(index).filter((key) => !['collectionGroup', 'queryScope', 'fields'].includes(key)),
      ).toEqual([]);
      expect(typeof index.collectionGroup).toBe('string');
      expect(Array.isArray(index.fields) && index.fields.length > 0).toBe(true);
      for (const field of index.fields as unknown[]) {
        const keys = Object.keys(asBody(field, 'field')).sort();
        expect([
          ['fieldPath', 'order'],
          ['arrayConfig', 'fieldPath'],
        ]).toContainEqual(keys);
      }
    }
  });
});

/** A version against an npm range made of >=, >, <, <= comparators (space: and, ||: or); anything else throws. */
function admits(range: string, version: string): boolean {
  const numbers = (text: string) => {
    const [major = 0, minor = 0, patch = 0] = text.split('.').map(Number);
    return [major, minor, patch] as const;
  };
  const compare = (a: readonly number[], b: readonly number[]) =>
    a.map((part, i) => part - b[i]!).find((difference) => difference !== 0) ?? 0;
  const wanted = numbers(version);
  return range.split('||').some((set) =>
    set
      .trim()
      .split(/\s+/)
      .every((comparator) => {
        const match = /^(>=|>|<=|<)v?(\d+(?:\.\d+){0,2})$/.exec(comparator);
        if (!match) throw new Error(`unsupported comparator ${comparator} in ${range}`);
        const [, operator, bound] = match;
        // A partial bound is a range of its own for <= and >; only full versions are unambiguous there.
        if ((operator === '<=' || operator === '>') && bound!.split('.').length !== 3) {
          throw new Error(`unsupported partial bound in ${comparator}`);
        }
        const difference = compare(wanted, numbers(bound!));
        return { '>=': difference >= 0, '>': difference > 0, '<=': difference <= 0, '<': difference < 0 }[
          operator!
        ]!;
      }),
  );
}

describe('Node.js version', () => {
  it("package.json's engines.node admits every release of the functions' Node.js major", () => {
    const runtime = String(value(block(httpFunction, 'build_config').runtime));
    const major = /^nodejs(\d+)$/.exec(runtime)?.[1];
    expect(major).toBe('22');
    const engines = (
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines?: { node?: string } }
    ).engines?.node;
    expect(engines).toBeDefined();
    expect(admits(engines!, `${major}.0.0`)).toBe(true);
    expect(admits(engines!, `${major}.99.0`)).toBe(true);
  });

  it('the range check itself refuses versions outside the range', () => {
    expect(admits('>=20.19 <22', '22.0.0')).toBe(false);
    expect(admits('>=20.19 <23', '20.18.9')).toBe(false);
    expect(admits('>=20.19 <23', '20.19.0')).toBe(true);
    expect(admits('>=18 <19 || >=22', '22.1.0')).toBe(true);
    expect(() => admits('^22', '22.1.0')).toThrow(/unsupported/);
  });
});

describe('smart-action media', () => {
  const media = resource('google_storage_bucket.media');
  const mediaBucket = ref('google_storage_bucket.media', 'name');

  it('when a media object is finalized in the media bucket, then mediaReady receives it, with retries', () => {
    const trigger = block(mediaReadyFunction, 'event_trigger');
    expect(trigger.event_type).toBe('google.cloud.storage.object.v1.finalized');
    expect(trigger.event_filters).toEqual([{ attribute: 'bucket', value: mediaBucket }]);
    expect(trigger.retry_policy).toBe('RETRY_POLICY_RETRY');
  });

  it('media is deleted within 7 days, as recordings are: lifecycle age 6, no soft delete, Firestore TTL on the records', () => {
    const [rule] = blocks(media, 'lifecycle_rule');
    expect(block(rule!, 'condition').age).toBe(6);
    expect(block(rule!, 'action').type).toBe('Delete');
    expect(block(media, 'soft_delete_policy').retention_duration_seconds).toBe(0);
    expect(media.public_access_prevention).toBe('enforced');
    const ttl = resource('google_firestore_field.media_ttl');
    expect([ttl.collection, ttl.field]).toEqual(['media', 'expireAt']);
    expect(blocks(ttl, 'ttl_config')).toHaveLength(1);
  });

  it('only platformEvents creates media objects, only mediaReady deletes them, the api reads them; each signs as itself only', () => {
    const onBucket = resourcesOfType('google_storage_bucket_iam_member')
      .map(([, grant]) => grant)
      .filter((grant) => grant.bucket === mediaBucket)
      .map((grant) => `${String(grant.role)} ${String(grant.member)}`);
    expect(onBucket.sort()).toEqual(
      [
        `roles/storage.objectCreator ${serviceAccountMember('platform_events_runtime')}`,
        `roles/storage.objectUser ${serviceAccountMember('media_ready_runtime')}`,
        `roles/storage.objectViewer ${serviceAccountMember('api_runtime')}`,
      ].sort(),
    );
    const signer = resource('google_service_account_iam_member.media_ready_signs_as_itself');
    expect(signer.service_account_id).toBe(ref('google_service_account.media_ready_runtime', 'name'));
    expect(signer.member).toBe(serviceAccountMember('media_ready_runtime'));
    const apiSigner = resource('google_service_account_iam_member.api_signs_as_itself');
    expect(apiSigner.service_account_id).toBe(ref('google_service_account.api_runtime', 'name'));
    expect(apiSigner.member).toBe(serviceAccountMember('api_runtime'));
  });
});
