import type {
  DocumentReference,
  DocumentSnapshot,
  Firestore,
  QuerySnapshot,
  Transaction,
} from '@google-cloud/firestore';
import {
  CallSettings,
  ChatSettings,
  LanguageSettings,
  QueueSettings,
  SupportCenter,
  type DeflectionConfig,
} from '../../domain/deflection/settings.js';
import { SipRedirection, VirtualAgentSettings } from '../../domain/deflection/sip-redirection.js';
import { invalidRequest, notFound } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
import type {
  DeflectionSettingsStore,
  SettingsSection,
  VersionedConfig,
} from '../../ports/deflection-settings.js';

/**
 * `settings/supportCenter`, `settings/call`, `settings/chat`, `queues/{id}`, `languages/{tag}`,
 * `queueSipRedirections/{queueId}`, `queueVirtualAgents/{queueId}`, and `settings/deflectionVersion`,
 * bumped by every save so that instances know to reload.
 *
 * Each document is one section, exactly as it was validated: a save replaces the whole document, so
 * that a field left out is removed. A queue's teams are part of its section (supervision reads them
 * from the same document) and are changed by a save of that section too.
 */
const VERSION_DOC = 'settings/deflectionVersion';
const SIP_REDIRECTIONS = 'queueSipRedirections';
const VIRTUAL_AGENTS = 'queueVirtualAgents';

interface RawDocs {
  supportCenter: unknown;
  call: unknown;
  chat: unknown;
  queues: [string, unknown][];
  languages: [string, unknown][];
  sipRedirections: [string, unknown][];
  virtualAgents: [string, unknown][];
}

/** Documents that do not parse (written by hand, or by an older version) are left out, not guessed. */
function parseAll(docs: RawDocs): DeflectionConfig | undefined {
  const supportCenter = SupportCenter.safeParse(docs.supportCenter);
  const call = CallSettings.safeParse(docs.call);
  const chat = ChatSettings.safeParse(docs.chat);
  if (!supportCenter.success || !call.success || !chat.success) return undefined;
  // fromEntries defines own properties whatever the id, never touching the prototype.
  const parsed = <T>(
    entries: [string, unknown][],
    schema: { safeParse(d: unknown): { success: boolean; data?: T } },
  ) =>
    Object.fromEntries(
      entries.flatMap(([id, data]) => {
        const result = schema.safeParse(data);
        return result.success ? [[id, result.data as T]] : [];
      }),
    );
  return {
    supportCenter: supportCenter.data,
    call: call.data,
    chat: chat.data,
    queues: parsed(docs.queues, QueueSettings),
    languages: parsed(docs.languages, LanguageSettings),
    sipRedirections: parsed(docs.sipRedirections, SipRedirection),
    virtualAgents: parsed(docs.virtualAgents, VirtualAgentSettings),
  };
}

type Removal = Extract<SettingsSection, { section: 'queueDeleted' | 'sipRedirectionDeleted' }>;
type SectionWrite = Exclude<SettingsSection, { section: 'queueTeams' } | Removal>;
type Write = SectionWrite | Removal;

export class FirestoreDeflectionSettings implements DeflectionSettingsStore {
  constructor(
    private readonly db: Firestore,
    private readonly clock: Clock,
  ) {}

  private async read(t: Transaction): Promise<{ raw: RawDocs; version: number }> {
    const [supportCenter, call, chat, queues, languages, sipRedirections, virtualAgents, version] =
      await Promise.all([
        t.get(this.db.doc('settings/supportCenter')),
        t.get(this.db.doc('settings/call')),
        t.get(this.db.doc('settings/chat')),
        t.get(this.db.collection('queues')),
        t.get(this.db.collection('languages')),
        t.get(this.db.collection(SIP_REDIRECTIONS)),
        t.get(this.db.collection(VIRTUAL_AGENTS)),
        t.get(this.db.doc(VERSION_DOC)),
      ] as const);
    const entries = (snapshot: QuerySnapshot) =>
      snapshot.docs.map((d) => [d.id, d.data()] as [string, unknown]);
    return {
      raw: {
        supportCenter: (supportCenter as DocumentSnapshot).data(),
        call: (call as DocumentSnapshot).data(),
        chat: (chat as DocumentSnapshot).data(),
        queues: entries(queues as QuerySnapshot),
        languages: entries(languages as QuerySnapshot),
        sipRedirections: entries(sipRedirections as QuerySnapshot),
        virtualAgents: entries(virtualAgents as QuerySnapshot),
      },
      version: Number((version as DocumentSnapshot).get('version') ?? 0),
    };
  }

  /** All documents in one read-only transaction: one snapshot, so one version, never a mix. */
  async load(): Promise<VersionedConfig> {
    const { raw, version } = await this.db.runTransaction((t) => this.read(t), { readOnly: true });
    return { config: parseAll(raw), version };
  }

  async save(change: SettingsSection, check: (next: DeflectionConfig) => void): Promise<number> {
    return this.db.runTransaction(async (t: Transaction) => {
      const { raw, version } = await this.read(t);
      const write = resolve(raw, change);
      const next = applyChange(raw, write);
      // Until the support center, call and chat settings all exist (first set-up), there is no whole to
      // check against: each section was checked on its own by its schema.
      const config = parseAll(next);
      if (config) check(config);
      // Replaced, not merged: the document is the section, as checked.
      if (write.section === 'queueDeleted')
        // The queue's own redirection and virtual agent settings go with it, in the same commit.
        for (const collection of ['queues', SIP_REDIRECTIONS, VIRTUAL_AGENTS])
          t.delete(this.db.collection(collection).doc(write.id));
      else if (write.section === 'sipRedirectionDeleted')
        t.delete(this.db.collection(SIP_REDIRECTIONS).doc(write.id));
      else t.set(this.refOf(write), write.value);
      t.set(this.db.doc(VERSION_DOC), { version: version + 1, updatedAt: this.clock.now() });
      return version + 1;
    });
  }

  private refOf(write: SectionWrite): DocumentReference {
    switch (write.section) {
      case 'queue':
        return this.db.collection('queues').doc(write.id);
      case 'language':
        return this.db.collection('languages').doc(write.tag);
      case 'sipRedirection':
        return this.db.collection(SIP_REDIRECTIONS).doc(write.id);
      case 'virtualAgent':
        return this.db.collection(VIRTUAL_AGENTS).doc(write.id);
      default:
        return this.db.collection('settings').doc(write.section);
    }
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

const SCHEMAS = {
  supportCenter: SupportCenter,
  call: CallSettings,
  chat: ChatSettings,
  queue: QueueSettings,
  language: LanguageSettings,
  sipRedirection: SipRedirection,
  virtualAgent: VirtualAgentSettings,
} as const;

/**
 * The section to write, as its schema outputs it: what is stored is always what the schema gives, also
 * for a caller that built the value itself. A change of a queue's teams becomes a save of the whole
 * queue section, from the stored queue.
 */
function resolve(raw: RawDocs, change: SettingsSection): Write {
  if (change.section === 'queueDeleted') {
    if (!queueStored(raw, change.id)) throw notFound(`The queue ${change.id}`);
    return change;
  }
  if (change.section === 'sipRedirectionDeleted') return change;
  let write: SectionWrite;
  if (change.section === 'queueTeams') {
    const stored = raw.queues.find(([id]) => id === change.id);
    const current = stored ? QueueSettings.safeParse(stored[1]) : undefined;
    if (!current?.success) throw notFound(`The queue ${change.id}`);
    write = { section: 'queue', id: change.id, value: { ...current.data, teamIds: change.teamIds } };
  } else write = change;
  // A queue's redirection and virtual agent settings exist only with the queue, also at first set-up.
  if ((write.section === 'sipRedirection' || write.section === 'virtualAgent') && !queueStored(raw, write.id))
    throw notFound(`The queue ${write.id}`);
  const parsed = SCHEMAS[write.section].safeParse(write.value);
  if (!parsed.success)
    throw invalidRequest(
      'These settings are not valid.',
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message, code: i.code })),
    );
  return { ...write, value: parsed.data } as SectionWrite;
}

const queueStored = (raw: RawDocs, queueId: string) => raw.queues.some(([id]) => id === queueId);

function applyChange(raw: RawDocs, write: Write): RawDocs {
  switch (write.section) {
    case 'queueDeleted': {
      const others = ([id]: [string, unknown]) => id !== write.id;
      return {
        ...raw,
        queues: raw.queues.filter(others),
        sipRedirections: raw.sipRedirections.filter(others),
        virtualAgents: raw.virtualAgents.filter(others),
      };
    }
    case 'sipRedirectionDeleted':
      return { ...raw, sipRedirections: raw.sipRedirections.filter(([id]) => id !== write.id) };
    case 'supportCenter':
    case 'call':
    case 'chat':
      return { ...raw, [write.section]: write.value };
    case 'queue':
      return { ...raw, queues: [...raw.queues.filter(([id]) => id !== write.id), [write.id, write.value]] };
    case 'language':
      return {
        ...raw,
        languages: [...raw.languages.filter(([tag]) => tag !== write.tag), [write.tag, write.value]],
      };
    case 'sipRedirection':
      return {
        ...raw,
        sipRedirections: [...raw.sipRedirections.filter(([id]) => id !== write.id), [write.id, write.value]],
      };
    case 'virtualAgent':
      return {
        ...raw,
        virtualAgents: [...raw.virtualAgents.filter(([id]) => id !== write.id), [write.id, write.value]],
      };
  }
}
