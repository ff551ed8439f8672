import { randomUUID } from 'node:crypto';
import { DEMO_PASSWORD } from './seed/demo-data.js';
import { localStack } from './stack/local-config.js';
import { postPlatformEvent } from './stack/platform.js';

/**
 * Offers a new web chat to a demo agent on the local stack (`npm start` running), as the platform
 * would: the agent is made Available (`PUT /v1/agent/state`), then a chat is created, the customer
 * writes (a card number, an e-mail address and a mobile number, for masking to show), and the chat is
 * assigned to the agent. It prints where the agent's desktop reads the offer and how to accept it; not
 * accepted in time (`/v1/settings/chat-offers`, 30 s by default), the offer's task withdraws it and the
 * agent goes to RONA. `npm run send-chat -- sam@acme.example` offers it to Sam instead of Ari.
 */
const email = process.argv[2] ?? 'ari@acme.example';
const host = process.env.FIREBASE_AUTH_EMULATOR_HOST ?? `127.0.0.1:${localStack.ports.auth}`;
const signIn = await fetch(
  `http://${host}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=local`,
  {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: DEMO_PASSWORD, returnSecureToken: true }),
  },
);
const { idToken, localId } = (await signIn.json()) as { idToken?: string; localId?: string };
if (!idToken || !localId) {
  console.error(`Sign-in of ${email} failed: is npm start running, and is ${email} a demo person?`);
  process.exit(1);
}
const api = `http://127.0.0.1:${localStack.ports.api}`;
const available = await fetch(`${api}/v1/agent/state`, {
  method: 'PUT',
  headers: { authorization: `Bearer ${idToken}`, 'content-type': 'application/json' },
  body: JSON.stringify({ state: 'available' }),
});
if (!available.ok) {
  console.error(`PUT /v1/agent/state: ${available.status} ${await available.text()}`);
  process.exit(1);
}

const sessionId = `chat-${randomUUID().slice(0, 8)}`;
const envelope = (sequence: number) => ({
  schemaVersion: 1,
  eventId: `${sessionId}-${sequence}`,
  sessionId,
  sequence,
  occurredAt: new Date().toISOString(),
});
const events = [
  {
    ...envelope(0),
    type: 'session.created',
    kind: 'chat',
    channel: 'web',
    queue: { id: 'q-refunds', menuPath: ['Billing', 'Refunds'] },
    language: 'en',
    consumer: { id: 'c-demo-chat', name: '+447966197542', anonymous: false },
  },
  {
    ...envelope(1),
    type: 'message.sent',
    message: {
      id: `${sessionId}-m1`,
      author: { type: 'consumer' },
      text: 'Hi, my card 4111 1111 1111 1111 was charged twice. Mail me at melissa@gmail.com',
    },
  },
  { ...envelope(2), type: 'session.assigned', agent: { id: localId } },
];
for (const event of events) {
  const res = await postPlatformEvent(JSON.stringify(event));
  if (!res.ok) {
    console.error(`${event.type}: ${res.status} ${await res.text()}`);
    process.exit(1);
  }
}

const docs = `http://127.0.0.1:${localStack.ports.firestore}/v1/projects/${localStack.projectId}/databases/(default)/documents`;
const offer = await fetch(`${docs}/agentDesks/${localId}/chats/${sessionId}`, {
  headers: { authorization: 'Bearer owner' },
});
const fields = (
  (await offer.json()) as {
    fields?: { offer?: { mapValue?: { fields?: Record<string, { stringValue?: string }> } } };
  }
).fields;
const offerId = fields?.offer?.mapValue?.fields?.offerId?.stringValue;
console.log(
  `Chat ${sessionId} offered to ${email}${offerId ? '' : ' (no offer found: see the functions log)'}`,
);
console.log(
  `  the agent's view: curl -H 'Authorization: Bearer owner' '${docs}/agentDesks/${localId}/chats/${sessionId}'`,
);
console.log(
  `  its thread:       curl -H 'Authorization: Bearer owner' '${docs}/agentDesks/${localId}/chats/${sessionId}/messages'`,
);
if (offerId) {
  console.log('  accept it within the offer timeout (otherwise it is withdrawn and the agent goes to RONA):');
  console.log(`  TOKEN=$(npm run -s token -- ${email})`);
  console.log(
    `  curl -X POST -H "Authorization: Bearer $TOKEN" ${api}/v1/chats/${sessionId}/offers/${offerId}/accept`,
  );
}
