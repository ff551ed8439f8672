import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/src/config.js';

const SECRET = 'a'.repeat(32);

describe('loadConfig', () => {
  it('when the environment is complete, then it is parsed with defaults', () => {
    expect(loadConfig({ GOOGLE_CLOUD_PROJECT: 'demo-x', PLATFORM_SIGNING_SECRET: SECRET })).toEqual({
      projectId: 'demo-x',
      firestoreDatabaseId: '(default)',
      platformSigning: { secrets: [SECRET], maxSkewSeconds: 300 },
      logLevel: 'INFO',
      platformCommandsTopic: 'platform-commands',
      directoryCacheSeconds: 60,
    });
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

  it('when the Auth emulator is configured on Cloud Run, then startup fails; locally it is accepted', () => {
    const env = {
      GOOGLE_CLOUD_PROJECT: 'demo-x',
      PLATFORM_SIGNING_SECRET: SECRET,
      FIREBASE_AUTH_EMULATOR_HOST: '127.0.0.1:9099',
    };
    expect(loadConfig(env).authEmulatorHost).toBe('127.0.0.1:9099');
    expect(() => loadConfig({ ...env, K_SERVICE: 'api' })).toThrow(/must not be set on Cloud Run/);
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
});
