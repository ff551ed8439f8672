import type { Firestore } from '@google-cloud/firestore';
import { composePlatformEventsPubSub } from '../../functions/src/composition/platform-events.js';
import { functionConfig } from '../../functions/src/config.js';
import { ingestSessionEvent } from '../../functions/src/app/ingest-session-event.js';
import {
  BUILT_IN_ROLES,
  PersonInput,
  RoleInput,
  type Person,
} from '../../functions/src/domain/access/permissions.js';
import {
  CallSettings,
  ChatSettings,
  LanguageSettings,
  QueueSettings,
  SupportCenter,
  validateDeflectionConfig,
  type DeflectionConfig,
} from '../../functions/src/domain/deflection/settings.js';
import {
  SipRedirection,
  VirtualAgentSettings,
} from '../../functions/src/domain/deflection/sip-redirection.js';
import {
  CallNotifications,
  ChatNotifications,
  QueueWhisper,
  whisperQueueProblem,
} from '../../functions/src/domain/notifications/settings.js';
import { SessionEvent } from '../../functions/src/domain/sessions/events.js';
import type { NotificationSection } from '../../functions/src/ports/notification-settings.js';
import { StuckThresholdsInput } from '../../functions/src/domain/supervision/session-listing.js';
import {
  FirestorePeopleAdmin,
  FirestoreRolesAdmin,
} from '../../functions/src/adapters/firestore/directory.js';
import { FirestoreNotificationSettings } from '../../functions/src/adapters/firestore/notification-settings.js';
import { FirestoreSupervisionSettings } from '../../functions/src/adapters/firestore/supervision.js';

/**
 * Demo data for the local stack: a support center with a queue tree, teams, people with roles,
 * settings, and a few live calls and chats. Every document has a fixed id and sessions arrive as
 * platform events with fixed ids, so seeding twice changes nothing.
 */
const weekdays = (open: string, close: string) =>
  Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [{ open, close }]]));

const tts = (text: string) => ({ type: 'tts', text });

export const demoDocuments: Record<string, Record<string, unknown>> = {
  'settings/supportCenter': {
    name: 'Acme Support',
    email: 'support@acme.example',
    phone: '+15550100',
    defaultLanguage: 'en',
    hours: {
      timeZone: 'America/New_York',
      weekly: weekdays('09:00', '18:00'),
      exceptions: [
        { date: '2026-12-25', hours: 'closed', name: 'Christmas Day' },
        { date: '2026-12-24', hours: [{ open: '09:00', close: '13:00' }], name: 'Christmas Eve' },
      ],
    },
    customHours: [
      {
        scope: { queueId: 'q-support' },
        hours: { timeZone: 'Europe/Paris', weekly: weekdays('08:00', '20:00') },
      },
    ],
  },
  'settings/call': {
    afterHoursDeflection: true,
    allowTransfersOutsideHours: true,
    ivr: { type: 'message' },
    sdk: { scheduledCall: true, email: true, phone: { number: '+15550199' }, voicemail: true },
  },
  'settings/chat': { afterHoursDeflection: true, allowTransfersOutsideHoursWhenOff: false, email: true },
  'languages/en': {
    enabled: true,
    prompts: {
      afterHours: tts('Thank you for calling Acme. We are closed; please call again during business hours.'),
      voicemail: tts('Please leave a message after the tone and we will call you back.'),
      voicemailBlockedNumber: tts('Your number is hidden: please enter it so that we can call you back.'),
      voicemailAskNumber: tts('Please enter your phone number, then press the pound key.'),
      voicemailNumberEntered: tts('Thank you. We will call you back at this number.'),
      emailDeflection: tts('We are closed. Write to us and we will answer by e-mail.'),
    },
  },
  'languages/fr': {
    enabled: true,
    prompts: {
      afterHours: tts(
        'Merci de votre appel. Nous sommes fermés ; rappelez-nous pendant nos heures d’ouverture.',
      ),
      voicemail: tts('Laissez un message après le bip, nous vous rappellerons.'),
      voicemailBlockedNumber: tts(
        'Votre numéro est masqué : composez-le pour que nous puissions vous rappeler.',
      ),
      voicemailAskNumber: tts('Composez votre numéro de téléphone, puis la touche dièse.'),
      voicemailNumberEntered: tts('Merci. Nous vous rappellerons à ce numéro.'),
      emailDeflection: tts('Nous sommes fermés. Écrivez-nous, nous vous répondrons par e-mail.'),
    },
  },
  'teams/team-billing': { name: 'Billing team' },
  'teams/team-support': { name: 'Technical support team' },
  'queues/q-billing': {
    name: 'Billing',
    parentId: null,
    menuPath: ['Billing'],
    teamIds: ['team-billing'],
    assignedAgentIds: ['u-agent-1'],
  },
  'queues/q-refunds': {
    name: 'Refunds',
    parentId: 'q-billing',
    menuPath: ['Billing', 'Refunds'],
    teamIds: ['team-billing'],
    channels: ['ivr', 'mobile', 'web'],
    scheduledCalls: { enabled: true, slotMinutes: 30, horizonDays: 7 },
    deflection: { ivr: { type: 'voicemail' } },
  },
  'queues/q-invoices': {
    name: 'Invoices',
    parentId: 'q-billing',
    menuPath: ['Billing', 'Invoices'],
    teamIds: ['team-billing'],
    channels: ['ivr', 'web', 'sms'],
    deflection: { sms: { enabled: true, text: 'We are closed. We will answer your message from 9:00.' } },
  },
  'queues/q-support': {
    name: 'Technical support',
    parentId: null,
    menuPath: ['Technical support'],
    teamIds: ['team-support'],
  },
  'queues/q-mobile-app': {
    name: 'Mobile app',
    parentId: 'q-support',
    menuPath: ['Technical support', 'Mobile app'],
    teamIds: ['team-support'],
    channels: ['mobile', 'web'],
    deflection: { mobile: { email: true, phone: { number: '+15550142' }, voicemail: true } },
  },
  'queues/q-night': { name: 'Night line', parentId: null, menuPath: ['Night line'], virtualAgent: 'always' },
  'queueSipRedirections/q-support': {
    uri: 'sip:support@pbx.acme.example;transport=tls',
    data_parameters_enabled: true,
    data_parameters: [
      {
        field: 'verified_customer',
        type: 'dynamic',
        source: 'ujet_metadata',
        source_field: 'reserved_verified_customer',
      },
      { field: 'bad_actor', type: 'dynamic', source: 'ujet_metadata', source_field: 'reserved_bad_actor' },
      {
        field: 'repeat_customer',
        type: 'dynamic',
        source: 'ujet_metadata',
        source_field: 'reserved_repeat_customer',
      },
    ],
    data_records: { in_metadata: true, in_crm_record: true },
  },
  'queueVirtualAgents/q-night': {
    data_parameters: [
      {
        type: 'dynamic',
        source: 'session_metadata',
        incoming_field: 'verified_customer',
        destination_field: 'Verified_Customer__c',
      },
    ],
  },
  'settings/deflectionVersion': { version: 1 },
};

/** Built-in roles (admin, manager, agent) live in the code; custom ones here. */
export const demoRoles: Record<string, unknown> = {
  trainee: {
    name: 'Agent in training',
    permissions: ['Monitor-Calls', 'Monitor-Chats'],
    scope: 'assigned_teams',
  },
};

export const demoStuckThresholds: unknown = { queuedMinutes: 300, connectedMinutes: 480 };

/** People, with the sign-in they get on the Auth emulator (password: switchboard). */
export const demoPeople: (Person & { email: string })[] = [
  { uid: 'u-admin', name: 'Alex Admin', email: 'admin@acme.example', roleIds: ['admin'], teamIds: [] },
  {
    uid: 'u-manager',
    name: 'Morgan Manager',
    email: 'manager@acme.example',
    roleIds: ['manager'],
    teamIds: ['team-billing'],
  },
  {
    uid: 'u-trainee',
    name: 'Tess Trainee',
    email: 'tess@acme.example',
    roleIds: ['agent', 'trainee'],
    teamIds: ['team-billing'],
  },
  {
    uid: 'u-agent-1',
    name: 'Ari Agent',
    email: 'ari@acme.example',
    roleIds: ['agent'],
    teamIds: ['team-billing'],
    phone: '+15550111',
  },
  {
    uid: 'u-agent-2',
    name: 'Sam Agent',
    email: 'sam@acme.example',
    roleIds: ['agent'],
    teamIds: ['team-support'],
  },
];
export const DEMO_PASSWORD = 'switchboard';

const at = (minutesAgo: number, now: Date) => new Date(now.getTime() - minutesAgo * 60_000).toISOString();

/** Live sessions relative to `now`; their event ids are fixed, so a second seeding is all duplicates. */
function demoEvents(now: Date): unknown[] {
  const base = (sessionId: string, sequence: number, minutesAgo: number) => ({
    schemaVersion: 1,
    sessionId,
    eventId: `${sessionId}-${sequence}`,
    sequence,
    occurredAt: at(minutesAgo, now),
  });
  const created = (
    id: string,
    kind: 'call' | 'chat',
    channel: string,
    queue: string,
    menuPath: string[],
    name: string,
    minutesAgo: number,
  ) => ({
    ...base(id, 0, minutesAgo),
    type: 'session.created',
    kind,
    channel,
    queue: { id: queue, menuPath },
    language: 'en',
    consumer: { id: `c-${id}`, name, anonymous: false },
  });
  return [
    created('demo-call-queued', 'call', 'ivr', 'q-refunds', ['Billing', 'Refunds'], 'Jordan Rivera', 4),
    created('demo-call-connected', 'call', 'ivr', 'q-invoices', ['Billing', 'Invoices'], 'Casey Kim', 12),
    {
      ...base('demo-call-connected', 1, 10),
      type: 'session.connected',
      agent: { id: 'u-agent-1', name: 'Ari Agent' },
    },
    created(
      'demo-chat-connected',
      'chat',
      'web',
      'q-mobile-app',
      ['Technical support', 'Mobile app'],
      'Robin Lee',
      7,
    ),
    {
      ...base('demo-chat-connected', 1, 6),
      type: 'session.assigned',
      agent: { id: 'u-agent-2', name: 'Sam Agent' },
    },
    { ...base('demo-chat-connected', 2, 6), type: 'session.connected' },
    created(
      'demo-chat-queued',
      'chat',
      'mobile',
      'q-mobile-app',
      ['Technical support', 'Mobile app'],
      'Taylor Fox',
      2,
    ),
  ];
}

const under = (prefix: string) =>
  Object.entries(demoDocuments)
    .filter(([path]) => path.startsWith(prefix))
    .map(([path, data]) => [path.slice(prefix.length), data] as const);

/**
 * The demo configuration as the api would have checked it: every section parsed by its schema and the
 * whole valid together (AHD-11). Throws, naming the problems, when it is not.
 */
export function demoDeflectionConfig(): DeflectionConfig {
  const config: DeflectionConfig = {
    supportCenter: SupportCenter.parse(demoDocuments['settings/supportCenter']),
    call: CallSettings.parse(demoDocuments['settings/call']),
    chat: ChatSettings.parse(demoDocuments['settings/chat']),
    queues: Object.fromEntries(under('queues/').map(([id, data]) => [id, QueueSettings.parse(data)])),
    languages: Object.fromEntries(
      under('languages/').map(([tag, data]) => [tag, LanguageSettings.parse(data)]),
    ),
    sipRedirections: Object.fromEntries(
      under('queueSipRedirections/').map(([id, data]) => [id, SipRedirection.parse(data)]),
    ),
    virtualAgents: Object.fromEntries(
      under('queueVirtualAgents/').map(([id, data]) => [id, VirtualAgentSettings.parse(data)]),
    ),
  };
  const issues = validateDeflectionConfig(config);
  if (issues.length > 0) throw new Error(`The demo settings are not valid: ${JSON.stringify(issues)}`);
  return config;
}

/** Agent notifications (NOT-1, NOT-2, NOT-3): a whisper read a little faster, a countdown, SMS, and two queue whispers. */
export const demoNotifications = {
  calls: {
    whisper: { enabled: true, speed: 1.25 },
    countdown: { enabled: true },
    incomingCallTone: { type: 'builtin', name: 'bell' },
    frequency: { mode: 'repeat', everySeconds: 15 },
    sms: { enabled: true },
  },
  chats: {
    newChatTone: { type: 'builtin', name: 'chime' },
    frequency: { mode: 'repeat', everySeconds: 30 },
    newMessageTone: { type: 'builtin', name: 'soft' },
  },
  queueWhispers: {
    'q-night': { enabled: true, announcement: { type: 'queue_name' }, speed: 1, countdown: false },
    'q-refunds': { enabled: true, announcement: { type: 'tts', text: 'Refund request' }, countdown: true },
  },
};

/**
 * The demo notification sections as the api would have checked them: each parsed by its schema, each
 * whisper for a queue of the demo that takes calls. Throws when one is not.
 */
export function demoNotificationSections(): NotificationSection[] {
  const queues = demoDeflectionConfig().queues;
  return [
    { section: 'calls', value: CallNotifications.parse(demoNotifications.calls) },
    { section: 'chats', value: ChatNotifications.parse(demoNotifications.chats) },
    ...Object.entries(demoNotifications.queueWhispers).map(([queueId, whisper]): NotificationSection => {
      const problem = whisperQueueProblem(
        Object.hasOwn(queues, queueId) ? queues[queueId]!.channels : undefined,
      );
      if (problem) throw new Error(`The demo whisper of ${queueId} cannot be saved: ${problem}`);
      return { section: 'queueWhisper', queueId, value: QueueWhisper.parse(whisper) };
    }),
  ];
}

/** Custom roles and people as the admin routes check them: schemas, and roles that exist. */
export function demoDirectory() {
  const roles = new Map(Object.entries(demoRoles).map(([id, role]) => [id, RoleInput.parse(role)]));
  const known = new Set([...Object.keys(BUILT_IN_ROLES), ...roles.keys()]);
  const people = demoPeople.map(({ uid, name, roleIds, teamIds, phone }) => {
    const person = PersonInput.parse({ name, roleIds, teamIds, ...(phone ? { phone } : {}) });
    const unknown = person.roleIds.filter((id) => !known.has(id));
    if (unknown.length > 0) throw new Error(`${uid} has roles that do not exist: ${unknown.join(', ')}`);
    return { uid, ...person };
  });
  return { roles, people, stuckThresholds: StuckThresholdsInput.parse(demoStuckThresholds) };
}

export async function seedDemoData(
  db: Firestore,
  projectId: string,
  now = new Date(),
): Promise<{ documents: number; events: number }> {
  const config = demoDeflectionConfig();
  const directory = demoDirectory();
  const batch = db.batch();
  batch.set(db.doc('settings/supportCenter'), config.supportCenter);
  batch.set(db.doc('settings/call'), config.call);
  batch.set(db.doc('settings/chat'), config.chat);
  for (const [id, queue] of Object.entries(config.queues)) batch.set(db.doc(`queues/${id}`), queue);
  for (const [tag, language] of Object.entries(config.languages))
    batch.set(db.doc(`languages/${tag}`), language);
  for (const [path, data] of under('teams/')) batch.set(db.doc(`teams/${path}`), data);
  batch.set(db.doc('settings/deflectionVersion'), demoDocuments['settings/deflectionVersion']!);
  await batch.commit();

  // Written by the same adapters as the admin routes, so the documents are the ones they would write.
  const roles = new FirestoreRolesAdmin(db);
  for (const [id, role] of directory.roles) await roles.change(id, role, () => {});
  const people = new FirestorePeopleAdmin(db);
  for (const person of directory.people) await people.change(person.uid, person, () => {});
  const clock = { now: () => now };
  await new FirestoreSupervisionSettings(db, 0, clock).saveStuckThresholds(directory.stuckThresholds);
  const notifications = new FirestoreNotificationSettings(db, clock);
  // Seeding again saves the same sections, which the store writes nothing for.
  for (const change of demoNotificationSections()) await notifications.save(change, () => {});

  // Ingested as the platform event functions do it, at the seed's time.
  const ingestConfig = functionConfig('platformEventsPubSub', {
    GOOGLE_CLOUD_PROJECT: projectId,
    FIRESTORE_DATABASE_ID: db.databaseId,
    DIRECTORY_CACHE_SECONDS: '0',
  });
  const deps = composePlatformEventsPubSub(ingestConfig, clock).ingest();
  const events = demoEvents(now).map((e) => SessionEvent.parse(e));
  for (const event of events) await ingestSessionEvent(deps, event);
  return {
    documents: Object.keys(demoDocuments).length + directory.roles.size + directory.people.length + 1,
    events: events.length,
  };
}

/** Accounts on the Auth emulator with the demo people's uids; an existing one is left as it is. */
export async function seedDemoAccounts(authHost: string, projectId: string): Promise<void> {
  for (const person of demoPeople) {
    const res = await fetch(
      `http://${authHost}/identitytoolkit.googleapis.com/v1/projects/${projectId}/accounts`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer owner' },
        body: JSON.stringify({
          localId: person.uid,
          email: person.email,
          password: DEMO_PASSWORD,
          displayName: person.name,
        }),
      },
    );
    if (!res.ok && !(await res.text()).includes('DUPLICATE'))
      throw new Error(`Could not create the account ${person.email}: HTTP ${res.status}`);
  }
}
