import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Ports and settings of the local stack. Every port can be changed through the environment
 * (documented in docs/configuration.md); a port of 0 picks any free one.
 */
const port = (name: string, fallback: number) => {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`${name} must be a port number, got "${value}"`);
  return n;
};

const controlPort = port('SWITCHBOARD_CONTROL_PORT', 8090);
const projectId = process.env.GOOGLE_CLOUD_PROJECT ?? 'demo-switchboard';

export const localStack = {
  projectId,
  /** Not a secret: it signs requests to the emulators on this machine only. */
  platformSigningSecret: process.env.PLATFORM_SIGNING_SECRET ?? 'local-platform-signing-secret-0123456789',
  ports: {
    firestore: port('SWITCHBOARD_FIRESTORE_PORT', 8080),
    pubsub: port('SWITCHBOARD_PUBSUB_PORT', 8085),
    auth: port('SWITCHBOARD_AUTH_PORT', 9099),
    storage: port('SWITCHBOARD_STORAGE_PORT', 9199),
    tasks: port('SWITCHBOARD_TASKS_PORT', 8123),
    api: port('SWITCHBOARD_API_PORT', 8083),
    platformEvents: port('SWITCHBOARD_PLATFORM_EVENTS_PORT', 8081),
    platformEventsPubSub: port('SWITCHBOARD_PLATFORM_EVENTS_PUBSUB_PORT', 8082),
    recordingReady: port('SWITCHBOARD_RECORDING_READY_PORT', 8086),
    recordingWorker: port('SWITCHBOARD_RECORDING_WORKER_PORT', 8087),
    sweeper: port('SWITCHBOARD_SWEEPER_PORT', 8088),
    mediaReady: port('SWITCHBOARD_MEDIA_READY_PORT', 8091),
    salesforce: port('SWITCHBOARD_SALESFORCE_PORT', 8089),
    control: controlPort,
  },
  /**
   * How far the local stack was moved forward in time, read by the functions' clock
   * (LOCAL_CLOCK_OFFSET_FILE); one per stack on this machine.
   */
  clockOffsetFile:
    process.env.LOCAL_CLOCK_OFFSET_FILE ||
    join(tmpdir(), `switchboard-${projectId}-${controlPort}-clock-offset-ms`),
  recordingsBucket: 'switchboard-recordings',
  voicemailBucket: 'switchboard-voicemails',
  /** Uploaded notification tones (NOT-4), and the local key their preview URLs are signed with. */
  notificationTonesBucket: 'switchboard-notification-tones',
  /** Smart-action media (SMA-2 … SMA-4): consumers' uploads, announced to mediaReady. */
  mediaBucket: 'switchboard-media',
  tonePreviewKey: process.env.NOTIFICATION_TONE_PREVIEW_KEY ?? 'local-tone-preview-key-0123456789abcdef',
  /** Not a secret: the local CRM's key for the recordings download route. */
  crmDownloadKey: process.env.CRM_DOWNLOAD_KEY ?? 'local-crm-download-key-0123456789abcdef',
  platformEventsTopic: 'platform-events',
  platformCommandsTopic: 'platform-commands',
};
