import type { DocumentReference, Firestore, Transaction } from '@google-cloud/firestore';
import {
  newDelivery,
  type VoicemailCrmOutcome,
  type VoicemailDelivery,
} from '../../domain/deflection/voicemail-delivery.js';
import { logs } from '../../log.js';
import type { StoredVoicemail, VoicemailOutbox, VoicemailStore } from '../../ports/voicemails.js';
import { GrpcCode, grpcCodeOf } from '../grpc-codes.js';

const outboxId = (voicemailId: string) => `voicemail__${voicemailId}`;

/**
 * Entries written before voicemails were delivered hold only `{kind, voicemailId, queueId, createdAt,
 * deliveredAt}`: no `status`. Such an entry is rebuilt, as a new one, from the voicemail stored with it
 * (its received time starts the 7 days), and written back. Undefined when the voicemail is missing:
 * there is nothing to rebuild it from.
 */
async function currentEntry(
  db: Firestore,
  data: Record<string, unknown> | undefined,
  read: (ref: DocumentReference) => Promise<Record<string, unknown> | undefined>,
  write: (ref: DocumentReference, entry: VoicemailDelivery) => void,
): Promise<VoicemailDelivery | undefined> {
  if (!data) return undefined;
  if (typeof data.status === 'string') return data as unknown as VoicemailDelivery;
  const voicemailId = String(data.voicemailId);
  const voicemail = (await read(db.collection('voicemails').doc(voicemailId))) as StoredVoicemail | undefined;
  if (!voicemail) return undefined;
  const received = voicemail.receivedAt ?? (data.createdAt as string | undefined);
  const receivedAt = received && !Number.isNaN(Date.parse(received)) ? new Date(received) : undefined;
  const rebuilt = newDelivery(voicemail, receivedAt ?? new Date(Date.parse(voicemail.leftAt)));
  write(db.collection('crmOutbox').doc(outboxId(voicemailId)), rebuilt);
  logs.voicemailEntryRebuilt({ voicemailId });
  return rebuilt;
}

/** The outbox entry as it stands; an old one is rebuilt (readEntry) first. */
async function outboxEntryOf(db: Firestore, voicemailId: string): Promise<VoicemailDelivery | undefined> {
  const data = (await db.collection('crmOutbox').doc(outboxId(voicemailId)).get()).data();
  if (isOld(data)) return readEntry(db, voicemailId);
  return data as VoicemailDelivery | undefined;
}

/** Reads the entry, rebuilding an old one (see currentEntry) in one transaction. */
function readEntry(db: Firestore, voicemailId: string): Promise<VoicemailDelivery | undefined> {
  return db.runTransaction((tx) => readEntryIn(db, tx, voicemailId));
}

async function readEntryIn(db: Firestore, tx: Transaction, voicemailId: string) {
  const snapshot = await tx.get(db.collection('crmOutbox').doc(outboxId(voicemailId)));
  return currentEntry(
    db,
    snapshot.data(),
    async (ref) => (await tx.get(ref)).data(),
    (ref, entry) => tx.set(ref, entry),
  );
}

const isOld = (data: Record<string, unknown> | undefined) => !!data && typeof data.status !== 'string';

/**
 * `voicemails/{id}`; `notifications/{agentId}__{voicemailId}` for each agent it goes to (agents' clients
 * read their own, see firestore.rules); `crmOutbox/voicemail__{id}` for the CRM, until the worker has
 * settled it (then `voicemails/{id}.crm` says how).
 */
export class FirestoreVoicemailStore implements VoicemailStore {
  constructor(private readonly db: Firestore) {}

  async record(voicemail: StoredVoicemail, delivery: VoicemailDelivery): Promise<boolean> {
    const batch = this.db.batch();
    batch.create(this.db.collection('voicemails').doc(voicemail.voicemailId), voicemail);
    if (voicemail.route.type === 'agents') {
      for (const agentId of voicemail.route.agentIds) {
        batch.create(this.db.collection('notifications').doc(`${agentId}__${voicemail.voicemailId}`), {
          agentId,
          type: 'voicemail',
          voicemailId: voicemail.voicemailId,
          queueId: voicemail.queueId,
          at: voicemail.leftAt,
          read: false,
        });
      }
    } else {
      batch.create(this.db.collection('crmOutbox').doc(outboxId(voicemail.voicemailId)), delivery);
    }
    try {
      await batch.commit();
      return true;
    } catch (error) {
      // Delivered before.
      if (grpcCodeOf(error) === GrpcCode.ALREADY_EXISTS) return false;
      throw error;
    }
  }

  outboxEntry(voicemailId: string): Promise<VoicemailDelivery | undefined> {
    return outboxEntryOf(this.db, voicemailId);
  }
}

export class FirestoreVoicemailOutbox implements VoicemailOutbox {
  constructor(private readonly db: Firestore) {}

  private entry(voicemailId: string) {
    return this.db.collection('crmOutbox').doc(outboxId(voicemailId));
  }

  private voicemail(voicemailId: string) {
    return this.db.collection('voicemails').doc(voicemailId);
  }

  get(voicemailId: string): Promise<VoicemailDelivery | undefined> {
    return outboxEntryOf(this.db, voicemailId);
  }

  update(
    voicemailId: string,
    change: (entry: VoicemailDelivery) => VoicemailDelivery | undefined,
    outcome?: (entry: VoicemailDelivery) => VoicemailCrmOutcome,
  ): Promise<VoicemailDelivery | undefined> {
    return this.db.runTransaction(async (tx) => {
      // An old entry is rebuilt here; the rebuilt one is written even if `change` writes nothing.
      const current = await readEntryIn(this.db, tx, voicemailId);
      if (!current) return undefined;
      const next = change(current);
      if (!next) return undefined;
      tx.set(this.entry(voicemailId), next);
      if (outcome) tx.update(this.voicemail(voicemailId), { crm: outcome(next) });
      return next;
    });
  }

  async receivedBy(cutoff: Date, limit: number): Promise<VoicemailDelivery[]> {
    // One range on one field: Firestore's automatic index serves it.
    const page = await this.db
      .collection('crmOutbox')
      .where('createdAt', '<=', cutoff.toISOString())
      .orderBy('createdAt')
      .limit(limit)
      .get();
    const entries = await Promise.all(
      page.docs
        .filter((d) => d.get('kind') === 'voicemail')
        .map((d) =>
          isOld(d.data())
            ? readEntry(this.db, String(d.get('voicemailId')))
            : (d.data() as VoicemailDelivery),
        ),
    );
    return entries.filter((e): e is VoicemailDelivery => e !== undefined);
  }

  async settle(voicemailId: string, outcome?: VoicemailCrmOutcome): Promise<void> {
    const batch = this.db.batch();
    batch.delete(this.entry(voicemailId));
    // The voicemail is stored with its outbox entry, in one write: it exists. `crm` is replaced whole.
    if (outcome) batch.update(this.voicemail(voicemailId), { crm: outcome });
    await batch.commit();
  }
}
