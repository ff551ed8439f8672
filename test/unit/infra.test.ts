import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/src/config.js';

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
 * A map: a block, a whole-string reference to a local, or `merge(local.x, { KEY = expression … })`
 * (which hcl2json leaves as text): the local's entries, then the literal's, as `${expression}`.
 */
function mapOf(raw: unknown, what: string): Body {
  if (value(raw) !== raw) return mapOf(value(raw), what);
  const merge = typeof raw === 'string' ? /^\$\{merge\(local\.(\w+),\s*\{([^{}]*)\}\)\}$/s.exec(raw) : null;
  if (!merge) return asBody(raw, what);
  const entries: Body = { ...mapOf(local(merge[1]!), `local.${merge[1]!}`) };
  const lines = merge[2]!
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

/** A value an environment expression would take with the variables' defaults (a placeholder without one). */
function sample(expression: unknown): string {
  const text = String(expression);
  if (!text.includes('${')) return text;
  const resourceName = /^\$\{(google_\w+\.\w+)\.name\}$/.exec(text);
  if (resourceName) return sample(resource(resourceName[1]!).name);
  const variable = /var\.(\w+)/.exec(text);
  if (!variable) throw new Error(`no sample value for ${text}`);
  const fallback = infra.variables.get(variable[1]!)?.default;
  return fallback === undefined ? `demo-${variable[1]!.replaceAll('_', '-')}` : String(fallback);
}

const httpFunction = resource('google_cloudfunctions2_function.platform_events');
const pubsubFunction = resource('google_cloudfunctions2_function.platform_events_pubsub');
const apiFunction = resource('google_cloudfunctions2_function.api');
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
      log_level: 'INFO',
      signature_max_skew_seconds: 300,
      platform_commands_subscribers: [],
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
    ]);
    for (const { body, entryPoint } of functions) {
      const build = block(body, 'build_config');
      expect(value(build.runtime)).toBe('nodejs22');
      expect(build.entry_point).toBe(entryPoint);
    }
  });

  it('the entry points are the ones functions/src/index.ts registers, each with the matching signature', () => {
    const index = readFileSync(join(root, 'functions/src/index.ts'), 'utf8');
    const registered = [...index.matchAll(/functions\.(http|cloudEvent)\(\s*'(\w+)'/g)].map(
      ([, kind, name]) => `${kind!} ${name!}`,
    );
    // Every registration call was read: none is written in a form the pattern above misses.
    expect(registered).toHaveLength([...index.matchAll(/\bfunctions\.\w+\(/g)].length);
    expect(registered).toEqual(
      expect.arrayContaining(['http platformEvents', 'cloudEvent platformEventsPubSub', 'http api']),
    );
    const deployed = resourcesOfType('google_cloudfunctions2_function').map(([, body]) => {
      const kind = blocks(body, 'event_trigger').length > 0 ? 'cloudEvent' : 'http';
      return `${kind} ${String(block(body, 'build_config').entry_point)}`;
    });
    expect(deployed.sort()).toEqual(registered.sort());
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

  it('each function runs as its own service account, and the trigger as a fourth one', () => {
    const accounts = [
      ...functions.map(({ body }) => block(body, 'service_config').service_account_email),
      block(pubsubFunction, 'event_trigger').service_account_email,
    ];
    expect(accounts).toEqual([
      ref('google_service_account.platform_events_runtime', 'email'),
      ref('google_service_account.platform_events_pubsub_runtime', 'email'),
      ref('google_service_account.api_runtime', 'email'),
      ref('google_service_account.platform_events_trigger', 'email'),
    ]);
  });

  it('the plain environment holds the non-secret settings each function needs, each one config.ts reads, from variables and resources', () => {
    const config = readFileSync(join(root, 'functions/src/config.ts'), 'utf8');
    const common = ['FIRESTORE_DATABASE_ID', 'GOOGLE_CLOUD_PROJECT', 'LOG_LEVEL'];
    const expected: Record<string, string[]> = {
      platformEvents: [...common, 'PLATFORM_SIGNATURE_MAX_SKEW_SECONDS'],
      platformEventsPubSub: common,
      api: [...common, 'PLATFORM_COMMANDS_TOPIC'],
    };
    for (const { body, entryPoint } of functions) {
      const environment = environmentOf(body);
      expect(Object.keys(environment).sort(), entryPoint).toEqual(expected[entryPoint]!.sort());
      for (const key of Object.keys(environment)) expect(config).toContain(`env.${key}`);
      for (const setting of Object.values(environment)) expect(setting).toMatch(/^\$\{.*\}$/s);
    }
    expect(environmentOf(apiFunction).PLATFORM_COMMANDS_TOPIC).toBe(
      ref('google_pubsub_topic.platform_commands', 'name'),
    );
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
      const env: Record<string, string> = { FUNCTION_TARGET: entryPoint, K_SERVICE: String(body.name) };
      for (const [key, expression] of Object.entries(environmentOf(body))) env[key] = sample(expression);
      for (const secret of blocks(service, 'secret_environment_variables'))
        env[String(secret.key)] = 's'.repeat(32);
      expect(() => loadConfig(env), entryPoint).not.toThrow();
      const config = loadConfig(env);
      expect(config.authEmulatorHost, entryPoint).toBeUndefined();
      if (entryPoint === 'api') expect(config.platformCommandsTopic).toBe('platform-commands');
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

  it('platformEventsPubSub accepts internal traffic only; platformEvents and the api are reachable from the internet', () => {
    expect(block(pubsubFunction, 'service_config').ingress_settings).toBe('ALLOW_INTERNAL_ONLY');
    expect(block(httpFunction, 'service_config').ingress_settings).toBe('ALLOW_ALL');
    expect(block(apiFunction, 'service_config').ingress_settings).toBe('ALLOW_ALL');
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

describe('secrets', () => {
  const secretVariables = (body: Body) =>
    blocks(block(body, 'service_config'), 'secret_environment_variables');

  it('the signing secrets come from Secret Manager, latest version', () => {
    const secrets = secretVariables(httpFunction);
    expect(secrets.map((secret) => secret.key)).toEqual([
      'PLATFORM_SIGNING_SECRET',
      'PLATFORM_SIGNING_SECRET_PREVIOUS',
    ]);
    for (const secret of secrets) {
      const declared = /^\$\{(google_secret_manager_secret\.\w+)\.secret_id\}$/.exec(String(secret.secret));
      expect(declared, `${String(secret.key)} names a declared secret`).not.toBeNull();
      expect(resource(declared![1]!)).toBeDefined();
      expect(secret.version).toBe('latest');
    }
    expect(secretVariables(pubsubFunction)).toEqual([]);
    expect(secretVariables(apiFunction)).toEqual([]);
  });

  it('no .tf file holds a secret value', () => {
    expect(resourcesOfType('google_secret_manager_secret_version')).toEqual([]);
    for (const [name, text] of infra.files) {
      expect(text, name).not.toMatch(/secret_data/);
    }
    for (const { body } of functions) {
      expect(Object.keys(environmentOf(body)).filter((key) => /SECRET/.test(key))).toEqual([]);
    }
  });

  it('only platformEvents may read the signing secrets, granted per secret, never project-wide', () => {
    const grants = resourcesOfType('google_secret_manager_secret_iam_member').map(([, grant]) => {
      expect(grant.role).toBe('roles/secretmanager.secretAccessor');
      return `${String(grant.member)} -> ${String(grant.secret_id)}`;
    });
    const member = serviceAccountMember('platform_events_runtime');
    expect(grants.sort()).toEqual(
      [
        `${member} -> ${ref('google_secret_manager_secret.platform_signing_secret', 'id')}`,
        `${member} -> ${ref('google_secret_manager_secret.platform_signing_secret_previous', 'id')}`,
      ].sort(),
    );
    const projectRoles = resourcesOfType('google_project_iam_member').flatMap(([, grant]) =>
      strings(grant.role),
    );
    expect(projectRoles.filter((role) => role.includes('secretmanager'))).toEqual([]);
  });
});

/** The project roles a google_project_iam_member grants, its for_each over a local list expanded. */
function projectRoles(grant: Body): string[] {
  if (grant.role !== '${each.value}') return [String(grant.role)];
  const list = /^\$\{toset\(local\.(\w+)\)\}$/.exec(String(grant.for_each));
  if (!list) throw new Error(`cannot expand for_each ${String(grant.for_each)}`);
  return strings(local(list[1]!));
}

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
  });

  it('only the trigger account may invoke platformEventsPubSub', () => {
    const invokers = resourcesOfType('google_cloud_run_v2_service_iam_member')
      .map(([, grant]) => grant)
      .filter(
        (grant) => grant.name === ref('google_cloudfunctions2_function.platform_events_pubsub', 'name'),
      );
    expect(invokers).toEqual([
      expect.objectContaining({
        role: 'roles/run.invoker',
        member: `serviceAccount:${ref('google_service_account.platform_events_trigger', 'email')}`,
      }),
    ]);
  });

  it('each runtime account holds datastore.user and logging.logWriter on the project, and no other project role', () => {
    expect(local('runtime_project_roles')).toEqual(['roles/datastore.user', 'roles/logging.logWriter']);
    for (const account of ['platform_events_runtime', 'platform_events_pubsub_runtime', 'api_runtime']) {
      const grant = resource(`google_project_iam_member.${account}`);
      expect(grant.for_each).toBe('${toset(local.runtime_project_roles)}');
      expect(grant.role).toBe('${each.value}');
      expect(grant.member).toBe(`serviceAccount:${ref(`google_service_account.${account}`, 'email')}`);
    }
    const otherGrantsToRuntimeAccounts = resourcesOfType('google_project_iam_member')
      .filter(([, grant]) => /_runtime\.email\}$/.test(String(grant.member)))
      .map(([address]) => address);
    expect(otherGrantsToRuntimeAccounts.sort()).toEqual([
      'google_project_iam_member.api_runtime',
      'google_project_iam_member.platform_events_pubsub_runtime',
      'google_project_iam_member.platform_events_runtime',
    ]);
  });

  it('nobody holds a Pub/Sub role on the whole project, and project IAM is only ever granted member by member', () => {
    const roles = resourcesOfType('google_project_iam_member').flatMap(([, grant]) => projectRoles(grant));
    expect(roles).toEqual(
      expect.arrayContaining(['roles/datastore.user', 'roles/cloudbuild.builds.builder']),
    );
    expect(roles.filter((role) => role.includes('pubsub'))).toEqual([]);
    for (const type of ['google_project_iam_binding', 'google_project_iam_policy']) {
      expect(resourcesOfType(type), type).toEqual([]);
    }
  });

  it("the api's account may publish to platform-commands only, and holds nothing else but its project roles", () => {
    const member = serviceAccountMember('api_runtime');
    const grants = [...infra.resources].filter(
      ([, body]) => body.member === member || strings(body.members).includes(member),
    );
    expect(grants.map(([address]) => address).sort()).toEqual([
      'google_project_iam_member.api_runtime',
      'google_pubsub_topic_iam_member.api_commands_publisher',
    ]);
    expect(resource('google_pubsub_topic_iam_member.api_commands_publisher')).toMatchObject({
      topic: ref('google_pubsub_topic.platform_commands', 'id'),
      role: 'roles/pubsub.publisher',
    });
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
    expect(index.database).toBe(ref('google_firestore_database.main', 'name'));
    expect(index.collection).toBe('${each.value.collectionGroup}');
    expect(index.query_scope).toContain('each.value.queryScope');

    const fields = dynamicBlock(index, 'fields');
    expect(fields.for_each).toBe('${each.value.fields}');
    const content = block(fields, 'content');
    expect(content.field_path).toBe('${fields.value.fieldPath}');
    expect(content.order).toContain('fields.value.order');
    expect(content.array_config).toContain('fields.value.arrayConfig');
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
