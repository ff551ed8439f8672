import { DEMO_PASSWORD } from './seed/demo-data.js';
import { localStack } from './stack/local-config.js';

/**
 * Prints an ID token for a demo person, signed in on the local Auth emulator (`npm start` running):
 * `npm run -s token -- manager@acme.example`.
 */
const email = process.argv[2];
if (!email) {
  console.error('Usage: npm run -s token -- <email> [password]');
  process.exit(2);
}
const host = process.env.FIREBASE_AUTH_EMULATOR_HOST ?? `127.0.0.1:${localStack.ports.auth}`;
const res = await fetch(
  `http://${host}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=local`,
  {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: process.argv[3] ?? DEMO_PASSWORD, returnSecureToken: true }),
  },
);
const body = (await res.json()) as { idToken?: string; error?: { message?: string } };
if (!body.idToken) {
  console.error(`Sign-in failed: ${body.error?.message ?? res.status}`);
  process.exit(1);
}
console.log(body.idToken);
