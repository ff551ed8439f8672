import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        // The local Storage, Cloud Tasks and Salesforce servers, tested through the real client libraries.
        test: {
          name: 'local-servers',
          include: ['local-servers/test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'emulators',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          // Starts the Firestore and Pub/Sub emulators once for the run, and stops them after.
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
