import { z } from 'zod';

/**
 * Configuration, parsed once at cold start from the environment. Pure: tests pass their own `env`.
 * Every variable is documented in docs/configuration.md.
 */
const Secret = z.string().min(32, 'must be at least 32 characters');
const BucketName = z.string().regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, 'must be a bucket name');

const ConfigSchema = z.object({
  projectId: z.string().min(1),
  firestoreDatabaseId: z.string().min(1),
  /** People and roles; a database of their own where deployed, so that only the api may write them. */
  directoryDatabaseId: z.string().min(1),
  platformSigning: z.object({
    secrets: z.array(Secret).max(2),
    maxSkewSeconds: z.number().int().min(10).max(3600),
    /** Whether the platform may still sign with body-only v1 signatures (during its migration). */
    acceptV1: z.boolean(),
  }),
  logLevel: z.enum(['DEBUG', 'INFO', 'WARNING', 'ERROR']),
  /** Set only for local development: people's tokens then come from the Auth emulator. */
  authEmulatorHost: z.string().min(1).optional(),
  platformCommandsTopic: z.string().regex(/^[A-Za-z][\w.~+%-]{2,254}$/, 'must be a Pub/Sub topic name'),
  /** How long roles, queue teams and supervision settings are kept in an instance. */
  directoryCacheSeconds: z.number().int().min(0).max(3600),
  /** The recordings pipeline; required by the functions that use it (see RECORDINGS_TARGETS). */
  recordings: z.object({
    bucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, 'must be a bucket name')
      .optional(),
    /**
     * Where the platform writes voicemails' audio. Voicemails for the CRM are delivered from here
     * only: a report naming any other bucket is refused, and without it none is delivered.
     */
    voicemailBucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, 'must be a bucket name')
      .optional(),
    queue: z
      .string()
      .regex(/^projects\/[^/]+\/locations\/[^/]+\/queues\/[A-Za-z0-9-]{1,100}$/, 'must be a queue path')
      .optional(),
    workerUrl: z.url().optional(),
    tasksServiceAccount: z.email().optional(),
    /** REC-5's 50 MB (10^6 bytes) and never more; smaller only to test with small files. */
    partSizeBytes: z.number().int().min(1).max(50_000_000),
    /** Local only: a Cloud Tasks REST endpoint (host:port) and where its OIDC keys are. */
    tasksEmulatorHost: z.string().min(1).optional(),
    tasksOidcCertsUrl: z.url().optional(),
    /** Local only: the Cloud Storage endpoint, read by the client library itself. */
    storageEmulatorHost: z.string().min(1).optional(),
  }),
  /**
   * Live chat offers' timeouts (LCH-2): the queue their tasks wait in, the URL they call (platformEvents'
   * `/v1/tasks/chat-offer-timeout`, also the audience of their OIDC tokens) and the account the tokens
   * name. All or none: without them the agent side of live chat is off.
   */
  chatOffers: z.object({
    queue: z
      .string()
      .regex(/^projects\/[^/]+\/locations\/[^/]+\/queues\/[A-Za-z0-9-]{1,100}$/, 'must be a queue path')
      .optional(),
    timeoutUrl: z.url().optional(),
    tasksServiceAccount: z.email().optional(),
    /** Local only, as for recordings: the Cloud Tasks REST endpoint and where its OIDC keys are. */
    tasksEmulatorHost: z.string().min(1).optional(),
    tasksOidcCertsUrl: z.url().optional(),
  }),
  salesforce: z
    .object({
      loginUrl: z.url(),
      clientId: z.string().min(1),
      username: z.string().min(1),
      privateKeyPem: z.string().includes('PRIVATE KEY', { message: 'must be a PEM private key' }),
      apiVersion: z.string().regex(/^\d{2,3}\.0$/, 'must look like 62.0'),
    })
    .optional(),
  /** Keys the CRM presents to download a waiting recording (REC-4): current, then previous. */
  crmDownloadKeys: z.array(Secret).max(2),
  /**
   * Uploaded notification tones and whisper recordings (NOT-3, NOT-4): their bucket, never the
   * recordings bucket (whose sweep deletes what no plan names), and the key that signs their preview
   * URLs. Both or neither: without them the tone library is off.
   */
  notificationTones: z.object({
    bucket: BucketName.optional(),
    previewKey: Secret.optional(),
    /** Local only: the Cloud Storage endpoint, as for recordings. */
    storageEmulatorHost: z.string().min(1).optional(),
  }),
  /**
   * Smart-action media (SMA-2 … SMA-4): the bucket consumers upload photos, screenshots, videos and
   * web chat attachments to, a bucket of its own. Without it, media is off.
   */
  media: z.object({
    bucket: BucketName.optional(),
    /** Local only: the Cloud Storage endpoint, as for recordings. */
    storageEmulatorHost: z.string().min(1).optional(),
  }),
  /**
   * Local only: the file holding how far the local stack was moved forward in time (ms); the
   * functions' clock adds it. Refused anywhere but on the emulators of a local machine.
   */
  localClockOffsetFile: z.string().min(1).max(4096).optional(),
});

export type Config = z.infer<typeof ConfigSchema>;

const integer = (value: string | undefined, fallback: number) =>
  value === undefined || value === '' ? fallback : Number(value);

/** Only `true` or `false` (or unset, which is false): anything else is a mistake worth stopping for. */
const flag = (value: string | undefined): unknown =>
  value === undefined || value === '' || value === 'false' ? false : value === 'true' ? true : value;

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const { config, problems } = checkConfig(env);
  if (!config || problems.length > 0) throw invalidConfiguration(problems);
  return config;
}

const invalidConfiguration = (problems: string[]) =>
  new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);

/** Every problem with the environment, for one error that names them all. */
function checkConfig(env: Record<string, string | undefined>): { config?: Config; problems: string[] } {
  const secrets = [env.PLATFORM_SIGNING_SECRET, env.PLATFORM_SIGNING_SECRET_PREVIOUS].filter(
    (s): s is string => s !== undefined && s !== '',
  );
  // Parsed once per instance: compiling zod's fast object parsers (jitless: false) costs a cold start
  // more than it could ever save. The checks and their messages are the same either way.
  const parsed = ConfigSchema.safeParse(
    {
      projectId: env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT ?? env.GCP_PROJECT,
      firestoreDatabaseId: env.FIRESTORE_DATABASE_ID ?? '(default)',
      directoryDatabaseId: env.FIRESTORE_DIRECTORY_DATABASE_ID || (env.FIRESTORE_DATABASE_ID ?? '(default)'),
      platformSigning: {
        secrets,
        maxSkewSeconds: integer(env.PLATFORM_SIGNATURE_MAX_SKEW_SECONDS, 300),
        acceptV1: flag(env.PLATFORM_SIGNATURE_ACCEPT_V1),
      },
      logLevel: (env.LOG_LEVEL ?? 'INFO').toUpperCase(),
      authEmulatorHost: env.FIREBASE_AUTH_EMULATOR_HOST || undefined,
      platformCommandsTopic: env.PLATFORM_COMMANDS_TOPIC ?? 'platform-commands',
      directoryCacheSeconds: integer(env.DIRECTORY_CACHE_SECONDS, 60),
      recordings: {
        bucket: env.RECORDINGS_BUCKET || undefined,
        voicemailBucket: env.VOICEMAIL_BUCKET || undefined,
        queue: env.RECORDINGS_QUEUE || undefined,
        workerUrl: env.RECORDING_WORKER_URL || undefined,
        tasksServiceAccount: env.RECORDING_TASKS_SERVICE_ACCOUNT || undefined,
        partSizeBytes: integer(env.RECORDING_PART_BYTES, 50_000_000),
        tasksEmulatorHost: env.TASKS_EMULATOR_HOST || undefined,
        tasksOidcCertsUrl: env.TASKS_OIDC_CERTS_URL || undefined,
        storageEmulatorHost: env.STORAGE_EMULATOR_HOST || undefined,
      },
      chatOffers: {
        queue: env.CHAT_OFFERS_QUEUE || undefined,
        timeoutUrl: env.CHAT_OFFER_TIMEOUT_URL || undefined,
        tasksServiceAccount: env.CHAT_TASKS_SERVICE_ACCOUNT || undefined,
        tasksEmulatorHost: env.TASKS_EMULATOR_HOST || undefined,
        tasksOidcCertsUrl: env.TASKS_OIDC_CERTS_URL || undefined,
      },
      salesforce: env.SALESFORCE_LOGIN_URL
        ? {
            loginUrl: env.SALESFORCE_LOGIN_URL,
            clientId: env.SALESFORCE_CLIENT_ID,
            username: env.SALESFORCE_USERNAME,
            // Secret Manager and .env files often carry a PEM on one line with literal \n.
            privateKeyPem: env.SALESFORCE_PRIVATE_KEY?.replace(/\\n/g, '\n'),
            apiVersion: env.SALESFORCE_API_VERSION ?? '62.0',
          }
        : undefined,
      crmDownloadKeys: [env.CRM_DOWNLOAD_KEY, env.CRM_DOWNLOAD_KEY_PREVIOUS].filter(
        (k): k is string => k !== undefined && k !== '',
      ),
      localClockOffsetFile: env.LOCAL_CLOCK_OFFSET_FILE || undefined,
      notificationTones: {
        bucket: env.NOTIFICATION_TONES_BUCKET || undefined,
        previewKey: env.NOTIFICATION_TONE_PREVIEW_KEY || undefined,
        storageEmulatorHost: env.STORAGE_EMULATOR_HOST || undefined,
      },
      media: {
        bucket: env.MEDIA_BUCKET || undefined,
        storageEmulatorHost: env.STORAGE_EMULATOR_HOST || undefined,
      },
    },
    { jitless: true },
  );
  if (!parsed.success)
    return {
      problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    };
  const config = parsed.data;
  const problems: string[] = [];
  // Every deployment shares this code; only platformEvents (or a process serving every function)
  // needs the platform's secret, and the others should not hold it.
  const target = env.FUNCTION_TARGET;
  if ((target === undefined || target === 'platformEvents') && config.platformSigning.secrets.length === 0)
    problems.push('PLATFORM_SIGNING_SECRET is required for platformEvents');
  // Emulator tokens are unsigned: accepting them anywhere but on a developer's machine would let
  // anyone be anyone. So the whole process must be plainly local, not merely "not on Cloud Run".
  const notLocal = config.authEmulatorHost
    ? reasonsNotPlainlyLocal(config.authEmulatorHost, config.projectId, env)
    : [];
  if (notLocal.length > 0)
    problems.push(
      `FIREBASE_AUTH_EMULATOR_HOST (unsigned tokens) is only accepted on a local machine: ${notLocal.join('; ')}`,
    );
  // A clock that anyone who can write a file moves would let deadlines (the 7-day purge, token and
  // signature lifetimes) be skipped: it is for a machine whose data all lives in the emulators.
  const notOnEmulators = config.localClockOffsetFile ? reasonsClockReachesOut(config, env) : [];
  if (notOnEmulators.length > 0)
    problems.push(
      `LOCAL_CLOCK_OFFSET_FILE (a clock moved by hand) is only accepted on a local machine's emulators: ${notOnEmulators.join('; ')}`,
    );
  const { recordings } = config;
  if (
    env.K_SERVICE &&
    (recordings.tasksEmulatorHost || recordings.tasksOidcCertsUrl || recordings.storageEmulatorHost)
  )
    problems.push(
      'TASKS_EMULATOR_HOST, TASKS_OIDC_CERTS_URL and STORAGE_EMULATOR_HOST must not be set on Cloud Run',
    );
  // A voicemail's audio is deleted once delivered: a call recording must never pass for one.
  if (recordings.voicemailBucket && recordings.voicemailBucket === recordings.bucket)
    problems.push('VOICEMAIL_BUCKET must not be the recordings bucket (RECORDINGS_BUCKET)');
  problems.push(...missingFor(target, config));
  problems.push(...notificationTonesProblems(config));
  const chatOffers = Object.entries({
    CHAT_OFFERS_QUEUE: config.chatOffers.queue,
    CHAT_OFFER_TIMEOUT_URL: config.chatOffers.timeoutUrl,
    CHAT_TASKS_SERVICE_ACCOUNT: config.chatOffers.tasksServiceAccount,
  });
  const unset = chatOffers.filter(([, value]) => value === undefined).map(([name]) => name);
  // Half a set is a mistake: it would switch live chat offers off unseen.
  if (unset.length > 0 && unset.length < chatOffers.length)
    problems.push(...unset.map((name) => `${name} is required once another live chat offers setting is set`));
  return { config, problems };
}

function notificationTonesProblems(config: Config): string[] {
  const { bucket, previewKey } = config.notificationTones;
  const problems: string[] = [];
  // Half a set is a mistake: it would switch the tone library off unseen.
  if (bucket && !previewKey)
    problems.push('NOTIFICATION_TONE_PREVIEW_KEY is required once NOTIFICATION_TONES_BUCKET is set');
  if (previewKey && !bucket)
    problems.push('NOTIFICATION_TONES_BUCKET is required once NOTIFICATION_TONE_PREVIEW_KEY is set');
  // The recordings sweep deletes objects no plan names, and a delivered voicemail's audio is deleted.
  if (bucket && (bucket === config.recordings.bucket || bucket === config.recordings.voicemailBucket))
    problems.push(
      'NOTIFICATION_TONES_BUCKET must be a bucket of its own, not RECORDINGS_BUCKET or VOICEMAIL_BUCKET',
    );
  // mediaReady deletes every refused upload, and other buckets' objects are no uploads.
  const media = config.media.bucket;
  if (
    media &&
    [config.recordings.bucket, config.recordings.voicemailBucket, bucket].some((other) => other === media)
  )
    problems.push(
      'MEDIA_BUCKET must be a bucket of its own, not RECORDINGS_BUCKET, VOICEMAIL_BUCKET or NOTIFICATION_TONES_BUCKET',
    );
  return problems;
}

/** The tone library's settings, both set. */
export interface NotificationTonesSettings {
  bucket: string;
  previewKey: string;
  storageEmulatorHost?: string;
}

export function notificationTonesOf(
  config: Pick<Config, 'notificationTones'>,
): NotificationTonesSettings | undefined {
  const { bucket, previewKey, storageEmulatorHost } = config.notificationTones;
  return bucket && previewKey
    ? { bucket, previewKey, ...(storageEmulatorHost ? { storageEmulatorHost } : {}) }
    : undefined;
}

/** Variables a Google Cloud runtime sets (Cloud Run services and jobs, Cloud Functions, App Engine). */
const CLOUD_RUNTIME_VARIABLES = [
  'K_SERVICE',
  'K_REVISION',
  'K_CONFIGURATION',
  'CLOUD_RUN_JOB',
  'GAE_SERVICE',
];

/**
 * Why a process with the Auth emulator configured is not plainly local, if it is not: the emulator must
 * be on a loopback address, the project a `demo-*` one (which Google never serves), and no variable of
 * a Google Cloud runtime set.
 */
function reasonsNotPlainlyLocal(
  authEmulatorHost: string,
  projectId: string,
  env: Record<string, string | undefined>,
): string[] {
  return [
    onLoopback(authEmulatorHost) ? undefined : 'the emulator is not on a loopback address',
    projectId.startsWith('demo-') ? undefined : 'the project is not a demo-* project',
    ...CLOUD_RUNTIME_VARIABLES.filter((v) => env[v]).map((v) => `${v} is set (a Google Cloud runtime)`),
  ].filter((reason): reason is string => reason !== undefined);
}

/**
 * Why a clock moved by hand would reach beyond this machine, if it would: the data must be in a plainly
 * local Firestore emulator, and the bucket, the queues and the CRM, where configured, must be the local
 * servers, which move with it (a real one would judge deadlines, or keep objects, by the real time).
 */
function reasonsClockReachesOut(config: Config, env: Record<string, string | undefined>): string[] {
  const reasons = env.FIRESTORE_EMULATOR_HOST
    ? reasonsNotPlainlyLocal(env.FIRESTORE_EMULATOR_HOST, config.projectId, env)
    : ['FIRESTORE_EMULATOR_HOST is not set (the data is not in the emulator)'];
  const { recordings, chatOffers, salesforce } = config;
  const mustBeLocal: [variable: string, address: string | undefined, what: string][] = [];
  if (recordings.bucket)
    mustBeLocal.push(['STORAGE_EMULATOR_HOST', recordings.storageEmulatorHost, 'the recordings bucket']);
  if (recordings.queue || chatOffers.queue)
    mustBeLocal.push(['TASKS_EMULATOR_HOST', recordings.tasksEmulatorHost, 'the task queues']);
  if (salesforce) mustBeLocal.push(['SALESFORCE_LOGIN_URL', salesforce.loginUrl, 'the CRM']);
  if (config.notificationTones.bucket)
    mustBeLocal.push([
      'STORAGE_EMULATOR_HOST',
      config.notificationTones.storageEmulatorHost,
      'the tones bucket',
    ]);
  for (const [variable, address, what] of mustBeLocal) {
    if (address === undefined) reasons.push(`${variable} is not set (${what} is not the local server)`);
    else if (!onLoopback(address)) reasons.push(`${variable} is not on a loopback address`);
  }
  return reasons;
}

/** Whether a `host:port` (as the emulators' variables give it) or a URL names this machine. */
function onLoopback(address: string): boolean {
  let host: string;
  if (/^[a-z][a-z\d+.-]*:\/\//i.test(address)) {
    try {
      host = new URL(address).hostname;
    } catch {
      return false;
    }
  } else host = /^(\[[^\]]*\]|[^:]*)(:\d{1,5})?$/.exec(address)?.[1] ?? '';
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Every function this code deploys, by the name it is registered and deployed under. */
export const FUNCTION_NAMES = [
  'platformEvents',
  'platformEventsPubSub',
  'api',
  'recordingReady',
  'recordingWorker',
  'sweeper',
  'mediaReady',
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** The functions that work on recordings, and what each one cannot start without. */
export const RECORDINGS_TARGETS = ['recordingReady', 'recordingWorker', 'sweeper'] as const;

/** The variables the recordings pipeline cannot work without, of those not set. */
function missingRecordingsSettings(config: Config): string[] {
  const r = config.recordings;
  return [
    r.bucket ? undefined : 'RECORDINGS_BUCKET',
    r.queue ? undefined : 'RECORDINGS_QUEUE',
    r.workerUrl ? undefined : 'RECORDING_WORKER_URL',
    r.tasksServiceAccount ? undefined : 'RECORDING_TASKS_SERVICE_ACCOUNT',
  ].filter((m): m is string => m !== undefined);
}

function missingFor(target: string | undefined, config: Config): string[] {
  const missing = missingRecordingsSettings(config);
  if (!RECORDINGS_TARGETS.some((t) => t === target)) {
    // Elsewhere recordings are optional, but half a set is a mistake: it would switch them off unseen.
    if (missing.length === 0 || missing.length === 4) return [];
    return missing.map(
      (m) => `${m} is required for ${target ?? 'every function'} once another recordings setting is set`,
    );
  }
  const required = missing.map((m) => `${m} is required for ${target}`);
  if (target === 'recordingWorker' && !config.salesforce)
    required.push(`SALESFORCE_LOGIN_URL is required for ${target}`);
  return required;
}

/** The recordings settings, every one the pipeline needs set. */
export type RecordingsSettings = Config['recordings'] & {
  bucket: string;
  queue: string;
  workerUrl: string;
  tasksServiceAccount: string;
};
export type SalesforceSettings = NonNullable<Config['salesforce']>;

function completeRecordings(r: Config['recordings']): RecordingsSettings | undefined {
  const { bucket, queue, workerUrl, tasksServiceAccount } = r;
  return bucket && queue && workerUrl && tasksServiceAccount
    ? { ...r, bucket, queue, workerUrl, tasksServiceAccount }
    : undefined;
}

/** Live chat offers' timeouts, every setting set. */
export type ChatOffersSettings = Config['chatOffers'] & {
  queue: string;
  timeoutUrl: string;
  tasksServiceAccount: string;
};

const completeChatOffers = (c: Config['chatOffers']): ChatOffersSettings | undefined =>
  c.queue && c.timeoutUrl && c.tasksServiceAccount
    ? { ...c, queue: c.queue, timeoutUrl: c.timeoutUrl, tasksServiceAccount: c.tasksServiceAccount }
    : undefined;

/** A function's configuration: recordings and live chat offers are either set up whole or not at all. */
export type FunctionConfig = Omit<Config, 'recordings' | 'chatOffers'> & {
  recordings: RecordingsSettings | undefined;
  chatOffers: ChatOffersSettings | undefined;
};
/** For the functions that exist for recordings (recordingReady, sweeper). */
export type RecordingsFunctionConfig = FunctionConfig & { recordings: RecordingsSettings };
export type RecordingWorkerConfig = RecordingsFunctionConfig & { salesforce: SalesforceSettings };

function checkFunctionConfig(target: FunctionName, env: Record<string, string | undefined>) {
  const { config, problems } = checkConfig({ ...env, FUNCTION_TARGET: target });
  if (!config || problems.length > 0) return { problems };
  return {
    config: {
      ...config,
      recordings: completeRecordings(config.recordings),
      chatOffers: completeChatOffers(config.chatOffers),
    },
    problems,
  };
}

/**
 * What a function reads at its cold start, checked against what it serves: one error names every
 * variable missing or invalid, so that a deployment fails at once and whole, not on a first request.
 */
export function functionConfig(
  target: 'platformEvents' | 'platformEventsPubSub' | 'api',
  env: Record<string, string | undefined> = process.env,
): FunctionConfig {
  const { config, problems } = checkFunctionConfig(target, env);
  if (!config) throw invalidConfiguration(problems);
  return config;
}

export function recordingsFunctionConfig(
  target: 'recordingReady' | 'sweeper',
  env: Record<string, string | undefined> = process.env,
): RecordingsFunctionConfig {
  const { config, problems } = checkFunctionConfig(target, env);
  const recordings = config?.recordings;
  if (!config || !recordings) throw invalidConfiguration(problems);
  return { ...config, recordings };
}

export function recordingWorkerConfig(
  env: Record<string, string | undefined> = process.env,
): RecordingWorkerConfig {
  const { config, problems } = checkFunctionConfig('recordingWorker', env);
  const recordings = config?.recordings;
  const salesforce = config?.salesforce;
  if (!config || !recordings || !salesforce) throw invalidConfiguration(problems);
  return { ...config, recordings, salesforce };
}

/** The media settings, the bucket set. */
export interface MediaSettings {
  bucket: string;
  storageEmulatorHost?: string;
}

export const mediaOf = (config: Pick<Config, 'media'>): MediaSettings | undefined =>
  config.media.bucket
    ? {
        bucket: config.media.bucket,
        ...(config.media.storageEmulatorHost
          ? { storageEmulatorHost: config.media.storageEmulatorHost }
          : {}),
      }
    : undefined;

/** mediaReady exists for the media bucket: it does not start without it. */
export function mediaFunctionConfig(
  env: Record<string, string | undefined> = process.env,
): FunctionConfig & { media: MediaSettings } {
  const { config, problems } = checkFunctionConfig('mediaReady', env);
  const media = config && mediaOf(config);
  if (!config || !media) throw invalidConfiguration([...problems, 'MEDIA_BUCKET is required for mediaReady']);
  return { ...config, media };
}
