import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startProcess, waitForHttp, type Managed } from './processes.js';

/**
 * The Google emulators this project runs on. Firestore and Pub/Sub come from the Google Cloud CLI
 * (plain Java 17 programs); firebase-tools is the fallback where the CLI is missing, which needs
 * Java 21. The Auth emulator always comes from firebase-tools (Node, no Java).
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FIREBASE = join(ROOT, 'node_modules/.bin/firebase');

export interface Emulator extends Managed {
  /** `host:port`, as the client libraries' *_EMULATOR_HOST variables want it. */
  host: string;
}

function googleCloudSdkRoots(): string[] {
  const roots = [
    process.env.CLOUDSDK_ROOT_DIR,
    '/usr/lib/google-cloud-sdk',
    '/usr/share/google-cloud-sdk',
    '/opt/google-cloud-sdk',
  ];
  try {
    const gcloud = execFileSync('which', ['gcloud'], { encoding: 'utf8' }).trim();
    if (gcloud) roots.push(resolve(dirname(gcloud), '..'));
  } catch {
    /* no gcloud on PATH */
  }
  return roots.filter((r): r is string => Boolean(r));
}

function findSdkBinary(relative: string): string | undefined {
  return googleCloudSdkRoots()
    .map((root) => join(root, relative))
    .find((path) => existsSync(path));
}

function javaMajorVersion(): number | undefined {
  try {
    const out = execFileSync('java', ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return parseJavaVersion(out);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr;
    return stderr ? parseJavaVersion(stderr) : undefined;
  }
}

function parseJavaVersion(text: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(text);
  if (!match) return undefined;
  const major = Number(match[1]);
  return major === 1 ? Number(match[2]) : major;
}

/** Runs `java -version` only once: it is slow and the answer does not change. */
let javaVersionCache: number | undefined | null = null;
const javaVersion = () =>
  javaVersionCache === null ? (javaVersionCache = javaMajorVersion()) : javaVersionCache;

function missing(what: string): Error {
  const java = javaVersion();
  return new Error(
    `Cannot start the ${what} emulator: the Google Cloud CLI's emulator is not installed ` +
      `(looked in ${googleCloudSdkRoots().join(', ')}), and firebase-tools needs Java 21 or newer ` +
      `(found ${java === undefined ? 'no java' : `Java ${java}`}). Install the Google Cloud CLI with its ` +
      `${what} emulator component (gcloud components install ${what === 'Firestore' ? 'cloud-firestore-emulator' : 'pubsub-emulator'}, ` +
      `or the Debian package google-cloud-cli-${what === 'Firestore' ? 'firestore' : 'pubsub'}-emulator) ` +
      `or Java 21.`,
  );
}

export async function startFirestoreEmulator(
  options: { port?: number; rulesFile?: string } = {},
): Promise<Emulator> {
  const port = options.port ?? (await freePort());
  const binary = findSdkBinary('platform/cloud-firestore-emulator/cloud_firestore_emulator');
  if (binary) {
    const args = ['start', '--host=127.0.0.1', `--port=${port}`];
    if (options.rulesFile) args.push(`--rules=${options.rulesFile}`);
    const { child, output, managed } = startProcess('Firestore emulator', binary, args);
    await waitForHttp('Firestore emulator', `http://127.0.0.1:${port}/`, child, output);
    return { ...managed, host: `127.0.0.1:${port}` };
  }
  return startWithFirebaseTools('firestore', 'Firestore', port, options.rulesFile);
}

export async function startPubSubEmulator(options: { port?: number } = {}): Promise<Emulator> {
  const port = options.port ?? (await freePort());
  const binary = findSdkBinary('platform/pubsub-emulator/bin/cloud-pubsub-emulator');
  if (binary) {
    const { child, output, managed } = startProcess('Pub/Sub emulator', binary, [
      '--host=127.0.0.1',
      `--port=${port}`,
    ]);
    await waitForHttp('Pub/Sub emulator', `http://127.0.0.1:${port}/`, child, output);
    return { ...managed, host: `127.0.0.1:${port}` };
  }
  return startWithFirebaseTools('pubsub', 'Pub/Sub', port);
}

export async function startAuthEmulator(options: { port?: number; projectId: string }): Promise<Emulator> {
  const port = options.port ?? (await freePort());
  return startWithFirebaseTools('auth', 'Auth', port, undefined, options.projectId);
}

/** firebase-tools reads its ports from a firebase.json: write one of our own in a scratch folder. */
async function startWithFirebaseTools(
  emulator: 'firestore' | 'pubsub' | 'auth',
  label: string,
  port: number,
  rulesFile?: string,
  projectId = 'demo-switchboard',
): Promise<Emulator> {
  if (emulator !== 'auth' && (javaVersion() ?? 0) < 21) throw missing(label);
  const dir = mkdtempSync(join(tmpdir(), `switchboard-${emulator}-`));
  const config: Record<string, unknown> = {
    emulators: {
      [emulator]: { host: '127.0.0.1', port },
      hub: { host: '127.0.0.1', port: await freePort() },
      logging: { host: '127.0.0.1', port: await freePort() },
      ui: { enabled: false },
    },
  };
  if (emulator === 'firestore' && rulesFile) config.firestore = { rules: rulesFile };
  writeFileSync(join(dir, 'firebase.json'), JSON.stringify(config));
  const { child, output, managed } = startProcess(
    `${label} emulator`,
    FIREBASE,
    ['emulators:start', '--only', emulator, '--project', projectId],
    { cwd: dir, env: { NO_UPDATE_NOTIFIER: '1', FIREBASE_CLI_EXPERIMENTS: '' } },
  );
  await waitForHttp(`${label} emulator`, `http://127.0.0.1:${port}/`, child, output, 90_000);
  return {
    ...managed,
    host: `127.0.0.1:${port}`,
    async stop() {
      await managed.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
