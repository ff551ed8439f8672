import { emulatorHost } from './projects.js';

/**
 * People in the Auth emulator: accounts with fixed uids (the admin API, with the emulator's owner
 * credentials), and ID tokens from a password sign-in, as the web client would get them.
 */
export async function createAccount(
  projectId: string,
  uid: string,
  email: string,
  password = 'password-123',
) {
  const base = `http://${emulatorHost('FIREBASE_AUTH_EMULATOR_HOST')}/identitytoolkit.googleapis.com/v1`;
  const res = await fetch(`${base}/projects/${projectId}/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer owner' },
    body: JSON.stringify({ localId: uid, email, password }),
  });
  if (!res.ok && !(await res.text()).includes('DUPLICATE'))
    throw new Error(`could not create ${uid}: ${res.status}`);
}

export async function signIn(email: string, password = 'password-123'): Promise<string> {
  const base = `http://${emulatorHost('FIREBASE_AUTH_EMULATOR_HOST')}/identitytoolkit.googleapis.com/v1`;
  const res = await fetch(`${base}/accounts:signInWithPassword?key=local-test-key`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, returnSecureToken: true }),
  });
  const body = (await res.json()) as { idToken?: string };
  if (!body.idToken) throw new Error(`could not sign in ${email}: ${res.status}`);
  return body.idToken;
}
