import type { Firestore } from '@google-cloud/firestore';
import type { VoicemailCrmOutcome, VoicemailDelivery } from '../../domain/deflection/voicemail-delivery.js';
import type { StoredVoicemail, VoicemailOutbox, VoicemailStore } from '../../ports/voicemails.js';
import { GrpcCode, grpcCodeOf } from '../grpc-codes.js';

const outboxId = (voicemailId: string) => `voicemail__${voicemailId}`;

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

  async outboxEntry(voicemailId: string): Promise<VoicemailDelivery | undefined> {
    const snapshot = await this.db.collection('crmOutbox').doc(outboxId(voicemailId)).get();
    return snapshot.data() as VoicemailDelivery | undefined;
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

  async get(voicemailId: string): Promise<VoicemailDelivery | undefined> {
    return (await this.entry(voicemailId).get()).data() as VoicemailDelivery | undefined;
  }

  update(
    voicemailId: string,
    change: (entry: VoicemailDelivery) => VoicemailDelivery | undefined,
    outcome?: (entry: VoicemailDelivery) => VoicemailCrmOutcome,
  ): Promise<VoicemailDelivery | undefined> {
    return this.db.runTransaction(async (tx) => {
      const snapshot = await tx.get(this.entry(voicemailId));
      if (!snapshot.exists) return undefined;
      const next = change(snapshot.data() as VoicemailDelivery);
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
    return page.docs.map((d) => d.data()).filter((d): d is VoicemailDelivery => d.kind === 'voicemail');
  }

  async settle(voicemailId: string, outcome?: VoicemailCrmOutcome): Promise<void> {
    const batch = this.db.batch();
    batch.delete(this.entry(voicemailId));
    // The voicemail is stored with its outbox entry, in one write: it exists. `crm` is replaced whole.
    if (outcome) batch.update(this.voicemail(voicemailId), { crm: outcome });
    await batch.commit();
  }
}
