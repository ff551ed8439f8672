import type { Firestore } from '@google-cloud/firestore';
import type { StoredVoicemail, VoicemailStore } from '../../ports/voicemails.js';
import { GrpcCode, grpcCodeOf } from '../grpc-codes.js';

/**
 * `voicemails/{id}`; `notifications/{agentId}__{voicemailId}` for each agent it goes to (agents' clients
 * read their own, see firestore.rules); `crmOutbox/voicemail__{id}` for the CRM, whose adapter delivers
 * and marks them.
 */
export class FirestoreVoicemailStore implements VoicemailStore {
  constructor(private readonly db: Firestore) {}

  async record(voicemail: StoredVoicemail): Promise<boolean> {
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
      batch.create(this.db.collection('crmOutbox').doc(`voicemail__${voicemail.voicemailId}`), {
        kind: 'voicemail',
        voicemailId: voicemail.voicemailId,
        queueId: voicemail.queueId,
        createdAt: voicemail.receivedAt,
        deliveredAt: null,
      });
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
}
