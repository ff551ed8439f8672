import { z } from 'zod';

/**
 * Configuration, parsed once at cold start from the environment. Pure: tests pass their own `env`.
 * Every variable is documented in the README's configuration table.
 */
const Secret = z.string().min(32, 'must be at least 32 characters');

const ConfigSchema = z.object({
  projectId: z.string().min(1),
  firestoreDatabaseId: z.string().min(1),
  platformSigning: z.object({
    secrets: z.array(Secret).max(2),
    maxSkewSeconds: z.number().int().min(10).max(3600),
  }),
  logLevel: z.enum(['DEBUG', 'INFO', 'WARNING', 'ERROR']),
  /** Set only for local development: people's tokens then come from the Auth emulator. */
  authEmulatorHost: z.string().min(1).optional(),
  platformCommandsTopic: z.string().regex(/^[A-Za-z][\w.~+%-]{2,254}$/, 'must be a Pub/Sub topic name'),
  /** How long roles, queue teams and supervision settings are kept in an instance. */
  directoryCacheSeconds: z.number().int().min(0).max(3600),
});

export type Config = z.infer<typeof ConfigSchema>;

const integer = (value: string | undefined, fallback: number) =>
  value === undefined || value === '' ? fallback : Number(value);

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const secrets = [env.PLATFORM_SIGNING_SECRET, env.PLATFORM_SIGNING_SECRET_PREVIOUS].filter(
    (s): s is string => s !== undefined && s !== '',
  );
  const parsed = ConfigSchema.safeParse({
    projectId: env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT ?? env.GCP_PROJECT,
    firestoreDatabaseId: env.FIRESTORE_DATABASE_ID ?? '(default)',
    platformSigning: {
      secrets,
      maxSkewSeconds: integer(env.PLATFORM_SIGNATURE_MAX_SKEW_SECONDS, 300),
    },
    logLevel: (env.LOG_LEVEL ?? 'INFO').toUpperCase(),
    authEmulatorHost: env.FIREBASE_AUTH_EMULATOR_HOST || undefined,
    platformCommandsTopic: env.PLATFORM_COMMANDS_TOPIC ?? 'platform-commands',
    directoryCacheSeconds: integer(env.DIRECTORY_CACHE_SECONDS, 60),
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  // Every deployment shares this code; only platformEvents (or a process serving every function)
  // needs the platform's secret, and the others should not hold it.
  const target = env.FUNCTION_TARGET;
  if (
    (target === undefined || target === 'platformEvents') &&
    parsed.data.platformSigning.secrets.length === 0
  )
    throw new Error('Invalid configuration:\n  PLATFORM_SIGNING_SECRET is required for platformEvents');
  // Emulator tokens are unsigned: accepting them on Cloud Run would let anyone be anyone.
  if (parsed.data.authEmulatorHost && env.K_SERVICE)
    throw new Error('Invalid configuration:\n  FIREBASE_AUTH_EMULATOR_HOST must not be set on Cloud Run');
  return parsed.data;
}
