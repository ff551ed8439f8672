import type { Firestore, Transaction } from '@google-cloud/firestore';
import {
  CallSettings,
  ChatSettings,
  LanguageSettings,
  QueueSettings,
  SupportCenter,
  type DeflectionConfig,
} from '../../domain/deflection/settings.js';
import type {
  DeflectionSettingsStore,
  SettingsSection,
  VersionedConfig,
} from '../../ports/deflection-settings.js';

/**
 * `settings/supportCenter`, `settings/call`, `settings/chat`, `queues/{id}`, `languages/{tag}`, and
 * `settings/deflectionVersion`, bumped by every save so that instances know to reload.
 */
const VERSION_DOC = 'settings/deflectionVersion';

/** Documents that do not parse (written by hand, or by an older version) are left out, not guessed. */
function parseAll(docs: {
  supportCenter: unknown;
  call: unknown;
  chat: unknown;
  queues: [string, unknown][];
  languages: [string, unknown][];
}): DeflectionConfig | undefined {
  const supportCenter = SupportCenter.safeParse(docs.supportCenter);
  const call = CallSettings.safeParse(docs.call);
  const chat = ChatSettings.safeParse(docs.chat);
  if (!supportCenter.success || !call.success || !chat.success) return undefined;
  const queues: DeflectionConfig['queues'] = {};
  for (const [id, data] of docs.queues) {
    const parsed = QueueSettings.safeParse(data);
    if (parsed.success) queues[id] = parsed.data;
  }
  const languages: DeflectionConfig['languages'] = {};
  for (const [tag, data] of docs.languages) {
    const parsed = LanguageSettings.safeParse(data);
    if (parsed.success) languages[tag] = parsed.data;
  }
  return { supportCenter: supportCenter.data, call: call.data, chat: chat.data, queues, languages };
}

export class FirestoreDeflectionSettings implements DeflectionSettingsStore {
  constructor(private readonly db: Firestore) {}

  private async read(
    get: (ref: FirebaseFirestore.DocumentReference | FirebaseFirestore.Query) => Promise<unknown>,
  ) {
    const [supportCenter, call, chat, queues, languages, version] = (await Promise.all([
      get(this.db.doc('settings/supportCenter')),
      get(this.db.doc('settings/call')),
      get(this.db.doc('settings/chat')),
      get(this.db.collection('queues')),
      get(this.db.collection('languages')),
      get(this.db.doc(VERSION_DOC)),
    ])) as [
      FirebaseFirestore.DocumentSnapshot,
      FirebaseFirestore.DocumentSnapshot,
      FirebaseFirestore.DocumentSnapshot,
      FirebaseFirestore.QuerySnapshot,
      FirebaseFirestore.QuerySnapshot,
      FirebaseFirestore.DocumentSnapshot,
    ];
    return {
      raw: {
        supportCenter: supportCenter.data(),
        call: call.data(),
        chat: chat.data(),
        queues: queues.docs.map((d) => [d.id, d.data()] as [string, unknown]),
        languages: languages.docs.map((d) => [d.id, d.data()] as [string, unknown]),
      },
      version: Number(version.get('version') ?? 0),
    };
  }

  async load(): Promise<VersionedConfig> {
    const { raw, version } = await this.read((ref) => (ref as FirebaseFirestore.DocumentReference).get());
    return { config: parseAll(raw), version };
  }

  async save(change: SettingsSection, check: (next: DeflectionConfig) => void): Promise<number> {
    return this.db.runTransaction(async (t: Transaction) => {
      const { raw, version } = await this.read((ref) => t.get(ref as FirebaseFirestore.DocumentReference));
      const next = applyChange(raw, change);
      // Until the support center, call and chat settings all exist (first set-up), there is no whole to
      // check against: each section was checked on its own by its schema.
      const config = parseAll(next);
      if (config) check(config);
      const ref =
        change.section === 'queue'
          ? this.db.doc(`queues/${change.id}`)
          : change.section === 'language'
            ? this.db.doc(`languages/${change.tag}`)
            : this.db.doc(`settings/${change.section}`);
      // Merge: queue documents also hold fields other features own (supervision teams, names).
      t.set(ref, change.value, { merge: true });
      t.set(this.db.doc(VERSION_DOC), { version: version + 1, updatedAt: new Date() });
      return version + 1;
    });
  }

  watchVersion(onVersion: (version: number) => void): () => void {
    return this.db.doc(VERSION_DOC).onSnapshot(
      (snapshot) => onVersion(Number(snapshot.get('version') ?? 0)),
      () => {
        /* the cache falls back to its time limit */
      },
    );
  }
}

function applyChange(
  raw: Parameters<typeof parseAll>[0],
  change: SettingsSection,
): Parameters<typeof parseAll>[0] {
  switch (change.section) {
    case 'supportCenter':
    case 'call':
    case 'chat':
      return { ...raw, [change.section]: change.value };
    case 'queue':
      return {
        ...raw,
        queues: [
          ...raw.queues.filter(([id]) => id !== change.id),
          [change.id, { ...(raw.queues.find(([id]) => id === change.id)?.[1] as object), ...change.value }],
        ],
      };
    case 'language':
      return {
        ...raw,
        languages: [...raw.languages.filter(([tag]) => tag !== change.tag), [change.tag, change.value]],
      };
  }
}
