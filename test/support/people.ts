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

/**
 * An ID token from a sign-in with a second factor, the way the web client gets one: MFA turned on
 * for the project, a phone enrolled (admin API), the password step, then the SMS code the emulator
 * keeps instead of sending. The token carries `firebase.sign_in_second_factor: "phone"`.
 */
export async function signInWithSecondFactor(
  projectId: string,
  uid: string,
  email: string,
  password = 'password-123',
): Promise<string> {
  const host = emulatorHost('FIREBASE_AUTH_EMULATOR_HOST');
  const base = `http://${host}/identitytoolkit.googleapis.com`;
  const call = async (path: string, body: unknown, admin = false, method = 'POST') => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(admin ? { authorization: 'Bearer owner' } : {}) },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, any>;
    if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json.error?.message)}`);
    return json;
  };
  await call(
    `/v2/projects/${projectId}/config?updateMask=mfa`,
    { mfa: { state: 'ENABLED', enabledProviders: ['PHONE_SMS'] } },
    true,
    'PATCH',
  );
  await call(
    `/v1/projects/${projectId}/accounts:update`,
    { localId: uid, mfa: { enrollments: [{ mfaEnrollmentId: `${uid}-phone`, phoneInfo: '+15555550100' }] } },
    true,
  );
  const first = await call('/v1/accounts:signInWithPassword?key=local-test-key', {
    email,
    password,
    returnSecureToken: true,
  });
  const started = await call('/v2/accounts/mfaSignIn:start?key=local-test-key', {
    mfaPendingCredential: first.mfaPendingCredential,
    mfaEnrollmentId: `${uid}-phone`,
    phoneSignInInfo: {},
  });
  const sessionInfo = started.phoneResponseInfo.sessionInfo as string;
  const codes = (await (
    await fetch(`http://${host}/emulator/v1/projects/${projectId}/verificationCodes`)
  ).json()) as {
    verificationCodes: { sessionInfo: string; code: string }[];
  };
  const code = codes.verificationCodes.find((c) => c.sessionInfo === sessionInfo)?.code;
  const done = await call('/v2/accounts/mfaSignIn:finalize?key=local-test-key', {
    mfaPendingCredential: first.mfaPendingCredential,
    phoneVerificationInfo: { sessionInfo, code },
  });
  return done.idToken as string;
}
