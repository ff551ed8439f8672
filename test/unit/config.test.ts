import { describe, expect, it } from 'vitest';
import {
  functionConfig,
  loadConfig,
  mediaFunctionConfig,
  notificationTonesOf,
  recordingsFunctionConfig,
  recordingWorkerConfig,
} from '../../functions/src/config.js';

const SECRET = 'a'.repeat(32);

describe('loadConfig', () => {
  it('when the environment is complete, then it is parsed with defaults', () => {
    expect(loadConfig({ GOOGLE_CLOUD_PROJECT: 'demo-x', PLATFORM_SIGNING_SECRET: SECRET })).toEqual({
      projectId: 'demo-x',
      firestoreDatabaseId: '(default)',
      directoryDatabaseId: '(default)',
      platformSigning: { secrets: [SECRET], maxSkewSeconds: 300, acceptV1: false },
      logLevel: 'INFO',
      platformCommandsTopic: 'platform-commands',
      directoryCacheSeconds: 60,
      recordings: { partSizeBytes: 50_000_000 },
      chatOffers: {},
      crmDownloadKeys: [],
      notificationTones: {},
      media: {},
    });
  });

  it('media (SMA-2 … SMA-4) has a bucket of its own, without which mediaReady does not start', () => {
    const base = { GOOGLE_CLOUD_PROJECT: 'demo-x', PLATFORM_SIGNING_SECRET: SECRET };
    expect(loadConfig({ ...base, MEDIA_BUCKET: 'acme-media' }).media).toEqual({ bucket: 'acme-media' });
    expect(() => loadConfig({ ...base, MEDIA_BUCKET: 'acme-rec', RECORDINGS_BUCKET: 'acme-rec' })).toThrow(
      /MEDIA_BUCKET must be a bucket of its own/,
    );
    expect(() => mediaFunctionConfig({ ...base, FUNCTION_TARGET: 'mediaReady' })).toThrow(
      /MEDIA_BUCKET is required for mediaReady/,
    );
    expect(mediaFunctionConfig({ ...base, MEDIA_BUCKET: 'acme-media' }).media.bucket).toBe('acme-media');
  });

  it('the tone library (NOT-4) is set up whole or not at all, in a bucket of its own, and refused on a moved clock unless its bucket is local', () => {
    const base = { GOOGLE_CLOUD_PROJECT: 'demo-x', PLATFORM_SIGNING_SECRET: SECRET };
    const whole = {
      ...base,
      NOTIFICATION_TONES_BUCKET: 'acme-tones',
      NOTIFICATION_TONE_PREVIEW_KEY: 'k'.repeat(32),
    };
    expect(notificationTonesOf(functionConfig('api', whole))).toEqual({
      bucket: 'acme-tones',
      previewKey: 'k'.repeat(32),
    });
    expect(notificationTonesOf(functionConfig('api', base))).toBeUndefined();
    expect(() => functionConfig('api', { ...whole, NOTIFICATION_TONE_PREVIEW_KEY: '' })).toThrow(
      'NOTIFICATION_TONE_PREVIEW_KEY is required once NOTIFICATION_TONES_BUCKET is set',
    );
    expect(() => functionConfig('api', { ...whole, NOTIFICATION_TONES_BUCKET: '' })).toThrow(
      'NOTIFICATION_TONES_BUCKET is required once NOTIFICATION_TONE_PREVIEW_KEY is set',
    );
    expect(() => functionConfig('api', { ...whole, NOTIFICATION_TONE_PREVIEW_KEY: 'short' })).toThrow(
      'must be at least 32 characters',
    );
    expect(() => functionConfig('api', { ...whole, NOTIFICATION_TONES_BUCKET: 'Not A Bucket' })).toThrow(
      'must be a bucket name',
    );
    expect(() => functionConfig('api', { ...whole, VOICEMAIL_BUCKET: 'acme-tones' })).toThrow(
      'NOTIFICATION_TONES_BUCKET must be a bucket of its own',
    );
    const moved = {
      ...whole,
      GOOGLE_CLOUD_PROJECT: 'demo-x',
      FIRESTORE_EMULATOR_HOST: '127.0.0.1:8080',
      LOCAL_CLOCK_OFFSET_FILE: '/tmp/offset',
    };
    expect(() => functionConfig('api', moved)).toThrow(
      'STORAGE_EMULATOR_HOST is not set (the tones bucket is not the local server)',
    );
    expect(() =>
      functionConfig('api', { ...moved, STORAGE_EMULATOR_HOST: 'http://127.0.0.1:9199' }),
    ).not.toThrow();
  });

  it('live chat offers are set up whole or not at all: half a set stops startup and names what is missing', () => {
    const base = { GOOGLE_CLOUD_PROJECT: 'demo-x', PLATFORM_SIGNING_SECRET: SECRET };
    const whole = {
      ...base,
      CHAT_OFFERS_QUEUE: 'projects/p/locations/l/queues/chat-offers',
      CHAT_OFFER_TIMEOUT_URL: 'https://events.example/v1/tasks/chat-offer-timeout',
      CHAT_TASKS_SERVICE_ACCOUNT: 'tasks@p.iam.gserviceaccount.com',
    };
    expect(functionConfig('api', whole).chatOffers).toEqual({
      queue: whole.CHAT_OFFERS_QUEUE,
      timeoutUrl: whole.CHAT_OFFER_TIMEOUT_URL,
      tasksServiceAccount: whole.CHAT_TASKS_SERVICE_ACCOUNT,
    });
    expect(functionConfig('api', base).chatOffers).toBeUndefined();
    expect(() => functionConfig('api', { ...whole, CHAT_TASKS_SERVICE_ACCOUNT: '' })).toThrow(
      'CHAT_TASKS_SERVICE_ACCOUNT is required once another live chat offers setting is set',
    );
  });

  it('people and roles are read from the directory database when one is named, else from the sessions one', () => {
    const env = {
      GOOGLE_CLOUD_PROJECT: 'demo-x',
      PLATFORM_SIGNING_SECRET: SECRET,
      FIRESTORE_DATABASE_ID: 'sessions',
    };
    expect(loadConfig(env).directoryDatabaseId).toBe('sessions');
    expect(loadConfig({ ...env, FIRESTORE_DIRECTORY_DATABASE_ID: 'people' }).directoryDatabaseId).toBe(
      'people',
    );
  });

  it('when a previous secret is set, then both are accepted, current first', () => {
    const previous = 'b'.repeat(40);
    const config = loadConfig({
      GOOGLE_CLOUD_PROJECT: 'demo-x',
      PLATFORM_SIGNING_SECRET: SECRET,
      PLATFORM_SIGNING_SECRET_PREVIOUS: previous,
    });
    expect(config.platformSigning.secrets).toEqual([SECRET, previous]);
  });

  it('when PLATFORM_SIGNATURE_ACCEPT_V1 is true, then v1 signatures are accepted; anything but true or false stops startup', () => {
    const base = { GOOGLE_CLOUD_PROJECT: 'demo-x', PLATFORM_SIGNING_SECRET: SECRET };
    expect(loadConfig({ ...base, PLATFORM_SIGNATURE_ACCEPT_V1: 'true' }).platformSigning.acceptV1).toBe(true);
    expect(loadConfig({ ...base, PLATFORM_SIGNATURE_ACCEPT_V1: 'false' }).platformSigning.acceptV1).toBe(
      false,
    );
    expect(() => loadConfig({ ...base, PLATFORM_SIGNATURE_ACCEPT_V1: 'yes' })).toThrow(
      /platformSigning\.acceptV1/,
    );
  });

  it('when values are missing or wrong, then one error names every problem and no secret', () => {
    let message = '';
    try {
      loadConfig({
        PLATFORM_SIGNING_SECRET: 'short-secret',
        PLATFORM_SIGNATURE_MAX_SKEW_SECONDS: 'soon',
        LOG_LEVEL: 'loud',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('projectId');
    expect(message).toContain('platformSigning.secrets.0: must be at least 32 characters');
    expect(message).toContain('platformSigning.maxSkewSeconds');
    expect(message).toContain('logLevel');
    expect(message).not.toContain('short-secret');
  });

  describe('unsigned ID tokens from the Auth emulator', () => {
    const local = {
      GOOGLE_CLOUD_PROJECT: 'demo-x',
      PLATFORM_SIGNING_SECRET: SECRET,
      FIREBASE_AUTH_EMULATOR_HOST: '127.0.0.1:9099',
    };

    it('when the emulator is on a loopback address, the project a demo-* one and no cloud runtime is around, then they are accepted', () => {
      for (const host of ['127.0.0.1:9099', 'localhost:9099', '[::1]:9099', '127.0.0.2:1'])
        expect(loadConfig({ ...local, FIREBASE_AUTH_EMULATOR_HOST: host }).authEmulatorHost).toBe(host);
    });

    it.each([
      ['a remote emulator', { FIREBASE_AUTH_EMULATOR_HOST: 'auth.example.com:9099' }, /loopback/],
      [
        'a host merely named like a loopback one',
        { FIREBASE_AUTH_EMULATOR_HOST: '127.0.0.1.nip.io:9099' },
        /loopback/,
      ],
      ['a real project', { GOOGLE_CLOUD_PROJECT: 'acme-prod' }, /demo-\* project/],
      ['Cloud Run', { K_SERVICE: 'api' }, /K_SERVICE is set/],
      ['a Cloud Run revision only', { K_REVISION: 'api-00001' }, /K_REVISION is set/],
      ['a Cloud Run job', { CLOUD_RUN_JOB: 'seed' }, /CLOUD_RUN_JOB is set/],
      ['App Engine', { GAE_SERVICE: 'default' }, /GAE_SERVICE is set/],
    ])('when on %s, then startup fails and says why', (_what, change, reason) => {
      expect(() => loadConfig({ ...local, ...change })).toThrow(reason);
      expect(() => loadConfig({ ...local, ...change })).toThrow(/only accepted on a local machine/);
    });
  });

  describe('a clock moved by hand (LOCAL_CLOCK_OFFSET_FILE)', () => {
    const local = {
      GOOGLE_CLOUD_PROJECT: 'demo-x',
      PLATFORM_SIGNING_SECRET: SECRET,
      FIRESTORE_EMULATOR_HOST: '127.0.0.1:8080',
      LOCAL_CLOCK_OFFSET_FILE: '/tmp/switchboard-clock-offset-ms',
    };

    it('when the data is in a loopback emulator of a demo-* project and no cloud runtime is around, then it is accepted', () => {
      expect(loadConfig(local).localClockOffsetFile).toBe('/tmp/switchboard-clock-offset-ms');
      expect(loadConfig({ ...local, LOCAL_CLOCK_OFFSET_FILE: '' }).localClockOffsetFile).toBeUndefined();
    });

    it.each([
      ['no Firestore emulator', { FIRESTORE_EMULATOR_HOST: undefined }, /FIRESTORE_EMULATOR_HOST is not set/],
      ['a remote emulator', { FIRESTORE_EMULATOR_HOST: 'firestore.example.com:8080' }, /loopback/],
      ['a real project', { GOOGLE_CLOUD_PROJECT: 'acme-prod' }, /demo-\* project/],
      ['Cloud Run', { K_SERVICE: 'sweeper' }, /K_SERVICE is set/],
      ['a Cloud Run job', { CLOUD_RUN_JOB: 'seed' }, /CLOUD_RUN_JOB is set/],
    ])('when on %s, then startup fails and says why', (_what, change, reason) => {
      const env = { ...local, ...change };
      expect(() => loadConfig(env)).toThrow(reason);
      expect(() => loadConfig(env)).toThrow(/LOCAL_CLOCK_OFFSET_FILE .* only accepted on a local machine/);
    });

    describe('with recordings, live chat offers and the CRM configured', () => {
      const localStack = {
        ...local,
        RECORDINGS_BUCKET: 'acme-recordings',
        RECORDINGS_QUEUE: 'projects/demo-x/locations/europe-west1/queues/recordings',
        RECORDING_WORKER_URL: 'http://127.0.0.1:8087',
        RECORDING_TASKS_SERVICE_ACCOUNT: 'recording-tasks@demo-x.iam.gserviceaccount.com',
        CHAT_OFFERS_QUEUE: 'projects/demo-x/locations/europe-west1/queues/chat-offers',
        CHAT_OFFER_TIMEOUT_URL: 'http://127.0.0.1:8081/v1/tasks/chat-offer-timeout',
        CHAT_TASKS_SERVICE_ACCOUNT: 'chat-tasks@demo-x.iam.gserviceaccount.com',
        STORAGE_EMULATOR_HOST: 'http://127.0.0.1:9199',
        TASKS_EMULATOR_HOST: 'http://localhost:8123',
        SALESFORCE_LOGIN_URL: 'http://[::1]:8089',
        SALESFORCE_CLIENT_ID: 'client',
        SALESFORCE_USERNAME: 'integration@acme.example',
        SALESFORCE_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----',
      };

      it('when the bucket, the queues and the CRM are the local servers on loopback addresses, then it is accepted', () => {
        const config = loadConfig(localStack);
        expect(config.localClockOffsetFile).toBe('/tmp/switchboard-clock-offset-ms');
        expect(config.recordings.storageEmulatorHost).toBe('http://127.0.0.1:9199');
        expect(config.salesforce?.loginUrl).toBe('http://[::1]:8089');
      });

      const recordingsOnly = {
        CHAT_OFFERS_QUEUE: undefined,
        CHAT_OFFER_TIMEOUT_URL: undefined,
        CHAT_TASKS_SERVICE_ACCOUNT: undefined,
      };
      const chatOffersOnly = {
        RECORDINGS_BUCKET: undefined,
        RECORDINGS_QUEUE: undefined,
        RECORDING_WORKER_URL: undefined,
        RECORDING_TASKS_SERVICE_ACCOUNT: undefined,
        STORAGE_EMULATOR_HOST: undefined,
      };
      it.each([
        ['the real Cloud Storage', { STORAGE_EMULATOR_HOST: undefined }, /STORAGE_EMULATOR_HOST is not set/],
        [
          'a remote Storage server',
          { STORAGE_EMULATOR_HOST: 'http://storage.example.com:9199' },
          /STORAGE_EMULATOR_HOST is not on a loopback address/,
        ],
        [
          'the real Cloud Tasks for recordings',
          { ...recordingsOnly, TASKS_EMULATOR_HOST: undefined },
          /TASKS_EMULATOR_HOST is not set/,
        ],
        [
          'the real Cloud Tasks for live chat offers',
          { ...chatOffersOnly, TASKS_EMULATOR_HOST: undefined },
          /TASKS_EMULATOR_HOST is not set/,
        ],
        [
          'a remote Tasks server',
          { TASKS_EMULATOR_HOST: 'http://127.0.0.1.example.com:8123' },
          /TASKS_EMULATOR_HOST is not on a loopback address/,
        ],
        [
          'the real Salesforce',
          { SALESFORCE_LOGIN_URL: 'https://login.salesforce.com' },
          /SALESFORCE_LOGIN_URL is not on a loopback address/,
        ],
        [
          'a Salesforce URL naming loopback only as its user',
          { SALESFORCE_LOGIN_URL: 'http://127.0.0.1@crm.example.com' },
          /SALESFORCE_LOGIN_URL is not on a loopback address/,
        ],
      ])('when on %s, then startup fails and says why', (_what, change, reason) => {
        const env = { ...localStack, ...change };
        expect(() => loadConfig(env)).toThrow(reason);
        expect(() => loadConfig(env)).toThrow(/LOCAL_CLOCK_OFFSET_FILE .* only accepted on a local machine/);
        expect(() => loadConfig({ ...env, LOCAL_CLOCK_OFFSET_FILE: undefined })).not.toThrow();
      });
    });
  });

  it('when no signing secret is set, then startup fails', () => {
    expect(() => loadConfig({ GOOGLE_CLOUD_PROJECT: 'demo-x' })).toThrow(
      /PLATFORM_SIGNING_SECRET is required/,
    );
    expect(() => loadConfig({ GOOGLE_CLOUD_PROJECT: 'demo-x', FUNCTION_TARGET: 'platformEvents' })).toThrow();
    expect(
      loadConfig({ GOOGLE_CLOUD_PROJECT: 'demo-x', FUNCTION_TARGET: 'api' }).platformSigning.secrets,
    ).toEqual([]);
  });

  describe('recordings', () => {
    const base = { GOOGLE_CLOUD_PROJECT: 'demo-x', PLATFORM_SIGNING_SECRET: SECRET };
    const recordings = {
      RECORDINGS_BUCKET: 'acme-recordings',
      RECORDINGS_QUEUE: 'projects/demo-x/locations/europe-west1/queues/recordings',
      RECORDING_WORKER_URL: 'https://europe-west1-demo-x.cloudfunctions.net/recording-worker',
      RECORDING_TASKS_SERVICE_ACCOUNT: 'recording-tasks@demo-x.iam.gserviceaccount.com',
    };
    const salesforce = {
      SALESFORCE_LOGIN_URL: 'https://login.salesforce.com',
      SALESFORCE_CLIENT_ID: 'client',
      SALESFORCE_USERNAME: 'integration@acme.example',
      SALESFORCE_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----',
    };

    it('when the voicemail bucket is set, then it is read; when it is the recordings bucket, then startup refuses it', () => {
      const config = loadConfig({ ...base, ...recordings, VOICEMAIL_BUCKET: 'acme-voicemails' });
      expect(config.recordings.voicemailBucket).toBe('acme-voicemails');
      expect(() => loadConfig({ ...base, ...recordings, VOICEMAIL_BUCKET: 'acme-recordings' })).toThrow(
        'VOICEMAIL_BUCKET must not be the recordings bucket',
      );
      expect(() => loadConfig({ ...base, ...recordings, VOICEMAIL_BUCKET: 'Not A Bucket' })).toThrow(
        /voicemailBucket: must be a bucket name/,
      );
    });

    it('when the worker starts without the queue or the CRM, then startup names what is missing', () => {
      expect(() =>
        loadConfig({ ...base, FUNCTION_TARGET: 'recordingWorker', RECORDINGS_BUCKET: 'acme-recordings' }),
      ).toThrow(/RECORDINGS_QUEUE is required for recordingWorker[\s\S]*SALESFORCE_LOGIN_URL is required/);
      expect(() => loadConfig({ ...base, FUNCTION_TARGET: 'sweeper', ...recordings })).not.toThrow();
      expect(() => loadConfig({ ...base, FUNCTION_TARGET: 'api' })).not.toThrow();
    });

    it('when everything is set, then the PEM written on one line gets its line breaks back', () => {
      const config = loadConfig({
        ...base,
        FUNCTION_TARGET: 'recordingWorker',
        ...recordings,
        ...salesforce,
      });
      expect(config.salesforce?.privateKeyPem).toBe(
        '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----',
      );
      expect(config.salesforce?.apiVersion).toBe('62.0');
      expect(config.recordings.partSizeBytes).toBe(50_000_000);
    });

    it('when parts would be over 50 MB, then the configuration is refused', () => {
      expect(() => loadConfig({ ...base, RECORDING_PART_BYTES: '50000001' })).toThrow(/partSizeBytes/);
      expect(loadConfig({ ...base, RECORDING_PART_BYTES: '1000' }).recordings.partSizeBytes).toBe(1000);
    });

    it('when a local Tasks or Storage endpoint is set on Cloud Run, then startup fails', () => {
      for (const local of [
        { TASKS_EMULATOR_HOST: '127.0.0.1:8123' },
        { STORAGE_EMULATOR_HOST: 'http://127.0.0.1:9199' },
      ]) {
        expect(() => loadConfig({ ...base, ...recordings, ...local, K_SERVICE: 'recording-worker' })).toThrow(
          /Cloud Run/,
        );
        expect(() => loadConfig({ ...base, ...recordings, ...local })).not.toThrow();
      }
    });

    it('when two CRM download keys are set, then both are accepted, current first; a short one is refused', () => {
      const current = 'c'.repeat(40);
      const previous = 'p'.repeat(40);
      expect(
        loadConfig({ ...base, CRM_DOWNLOAD_KEY: current, CRM_DOWNLOAD_KEY_PREVIOUS: previous })
          .crmDownloadKeys,
      ).toEqual([current, previous]);
      expect(() => loadConfig({ ...base, CRM_DOWNLOAD_KEY: 'short' })).toThrow(/crmDownloadKeys/);
    });
  });

  describe("each function's own check, at its cold start", () => {
    const base = { GOOGLE_CLOUD_PROJECT: 'demo-x' };
    const recordings = {
      RECORDINGS_BUCKET: 'acme-recordings',
      RECORDINGS_QUEUE: 'projects/demo-x/locations/europe-west1/queues/recordings',
      RECORDING_WORKER_URL: 'https://europe-west1-demo-x.cloudfunctions.net/recording-worker',
      RECORDING_TASKS_SERVICE_ACCOUNT: 'recording-tasks@demo-x.iam.gserviceaccount.com',
    };
    const salesforce = {
      SALESFORCE_LOGIN_URL: 'https://login.salesforce.com',
      SALESFORCE_CLIENT_ID: 'client',
      SALESFORCE_USERNAME: 'integration@acme.example',
      SALESFORCE_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----',
    };
    const problemsOf = (load: () => unknown) => {
      try {
        load();
      } catch (error) {
        return (error as Error).message
          .split('\n')
          .slice(1)
          .map((line) => line.trim());
      }
      return [];
    };

    it('when a value is invalid and others are missing, then one error names them all', () => {
      expect(
        problemsOf(() =>
          recordingWorkerConfig({ ...base, LOG_LEVEL: 'loud', RECORDINGS_BUCKET: 'acme-recordings' }),
        ),
      ).toEqual([expect.stringMatching(/^logLevel: /)]);
      expect(
        problemsOf(() =>
          recordingWorkerConfig({
            ...base,
            FIREBASE_AUTH_EMULATOR_HOST: 'auth.example.com:9099',
            RECORDINGS_BUCKET: 'acme-recordings',
          }),
        ),
      ).toEqual([
        expect.stringMatching(/^FIREBASE_AUTH_EMULATOR_HOST .*loopback/),
        'RECORDINGS_QUEUE is required for recordingWorker',
        'RECORDING_WORKER_URL is required for recordingWorker',
        'RECORDING_TASKS_SERVICE_ACCOUNT is required for recordingWorker',
        'SALESFORCE_LOGIN_URL is required for recordingWorker',
      ]);
    });

    it('when the worker has everything, then its recordings and CRM settings are there, whole', () => {
      const config = recordingWorkerConfig({ ...base, ...recordings, ...salesforce });
      expect(config.recordings).toEqual({
        bucket: 'acme-recordings',
        queue: recordings.RECORDINGS_QUEUE,
        workerUrl: recordings.RECORDING_WORKER_URL,
        tasksServiceAccount: recordings.RECORDING_TASKS_SERVICE_ACCOUNT,
        partSizeBytes: 50_000_000,
      });
      expect(config.salesforce.username).toBe('integration@acme.example');
      expect(problemsOf(() => recordingWorkerConfig({ ...base, ...recordings }))).toEqual([
        'SALESFORCE_LOGIN_URL is required for recordingWorker',
      ]);
    });

    it('recordingReady and the sweeper do not start without the recordings settings; the platform secret is not theirs', () => {
      for (const target of ['recordingReady', 'sweeper'] as const) {
        expect(problemsOf(() => recordingsFunctionConfig(target, base))).toEqual(
          [
            'RECORDINGS_BUCKET',
            'RECORDINGS_QUEUE',
            'RECORDING_WORKER_URL',
            'RECORDING_TASKS_SERVICE_ACCOUNT',
          ].map((name) => `${name} is required for ${target}`),
        );
        const config = recordingsFunctionConfig(target, { ...base, ...recordings });
        expect(config.recordings.bucket).toBe('acme-recordings');
        expect(config.platformSigning.secrets).toEqual([]);
      }
    });

    it('elsewhere recordings are on when all four settings are set and off when none is; some of them only stops the start', () => {
      const env = { ...base, PLATFORM_SIGNING_SECRET: SECRET };
      for (const target of ['platformEvents', 'platformEventsPubSub', 'api'] as const) {
        expect(functionConfig(target, env).recordings).toBeUndefined();
        expect(functionConfig(target, { ...env, ...recordings }).recordings?.queue).toBe(
          recordings.RECORDINGS_QUEUE,
        );
        const { RECORDINGS_QUEUE: _queue, ...withoutQueue } = recordings;
        expect(problemsOf(() => functionConfig(target, { ...env, ...withoutQueue }))).toEqual([
          `RECORDINGS_QUEUE is required for ${target} once another recordings setting is set`,
        ]);
      }
      expect(problemsOf(() => functionConfig('platformEvents', base))).toEqual([
        'PLATFORM_SIGNING_SECRET is required for platformEvents',
      ]);
    });
  });
});
