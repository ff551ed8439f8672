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
    secrets: z.array(Secret).min(1).max(2),
    maxSkewSeconds: z.number().int().min(10).max(3600),
  }),
  logLevel: z.enum(['DEBUG', 'INFO', 'WARNING', 'ERROR']),
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
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}
