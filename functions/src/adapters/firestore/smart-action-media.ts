import { FieldPath, Timestamp, type Firestore } from '@google-cloud/firestore';
import type { UploadVerdict } from '../../domain/smart-actions/media.js';
import type { IssueOutcome, MediaRecord, MediaRecords, ShownMedia } from '../../ports/smart-action-media.js';
import { AGENT_DESKS } from './chats.js';

export const MEDIA = 'media';

/**
 * `sessions/{sessionId}/media/{id}`: every upload slot and what became of it (never readable by a
 * client); `agentDesks/{agentId}/media/{id}`: the accepted files an agent's desktop shows at once
 * (readable by that agent only, firestore.rules). Both carry `expireAt`, the Firestore TTL field
 * (infra/media.tf) that removes them with the session's media.
 */
export class FirestoreMediaRecords implements MediaRecords {
  constructor(private readonly db: Firestore) {}

  private media(sessionId: string) {
    return this.db.collection('sessions').doc(sessionId).collection(MEDIA);
  }

  async issue(
    sessionId: string,
    requestKey: string,
    records: MediaRecord[],
    limit: number,
  ): Promise<IssueOutcome> {
    const ofRequest = this.media(sessionId).where('requestKey', '==', requestKey);
    const askId = records[0]?.askId ?? '';
    return this.db.runTransaction(async (tx) => {
      const sameAsk = await tx.get(this.ofAskQuery(sessionId, askId));
      if (!sameAsk.empty) return { issued: true, records: recordsOf(sameAsk.docs) };
      const already = (await tx.get(ofRequest.count())).data().count;
      if (already + records.length > limit) return { issued: false, alreadyIssued: already };
      for (const record of records)
        tx.create(this.media(sessionId).doc(record.id), toStored(record, requestKey));
      return { issued: true, records };
    });
  }

  async ofAsk(sessionId: string, askId: string): Promise<MediaRecord[]> {
    return recordsOf((await this.ofAskQuery(sessionId, askId).get()).docs);
  }

  private ofAskQuery(sessionId: string, askId: string) {
    return this.media(sessionId).where('askId', '==', askId).limit(MAX_SLOTS_PER_ASK);
  }

  async issuedCount(sessionId: string, requestKey: string): Promise<number> {
    return (await this.media(sessionId).where('requestKey', '==', requestKey).count().get()).data().count;
  }

  async settle(
    sessionId: string,
    id: string,
    decide: (record: MediaRecord, acceptedBefore: number) => UploadVerdict,
    finalized: { object: string; sizeBytes: number; generation: string; at: Date },
  ): Promise<MediaRecord | undefined> {
    const ref = this.media(sessionId).doc(id);
    return this.db.runTransaction(async (tx) => {
      const snapshot = await tx.get(ref);
      const stored = snapshot.data() as StoredMediaRecord | undefined;
      // An id guessed onto another name of the session is no upload that was issued.
      if (!stored || stored.object !== finalized.object) return undefined;
      const record = fromStored(stored);
      if (record.state !== 'issued') return record;
      const accepted = this.media(sessionId)
        .where('requestKey', '==', stored.requestKey)
        .where('state', '==', 'accepted');
      const acceptedBefore = (await tx.get(accepted.count())).data().count;
      const verdict = decide(record, acceptedBefore);
      const settled: MediaRecord = {
        ...record,
        state: verdict.accepted ? 'accepted' : 'refused',
        reason: verdict.accepted ? null : verdict.reason,
        format: verdict.accepted ? verdict.format : null,
        sizeBytes: finalized.sizeBytes,
        generation: finalized.generation,
        finalizedAt: finalized.at.toISOString(),
      };
      tx.set(ref, toStored(settled, stored.requestKey));
      return settled;
    });
  }

  async list(sessionId: string, limit: number, after?: string): Promise<MediaRecord[] | undefined> {
    // Ordered by the document id too: files of one ask share their issue time.
    let query = this.media(sessionId).orderBy('issuedAt').orderBy(FieldPath.documentId()).limit(limit);
    if (after !== undefined) {
      const previous = await this.media(sessionId).doc(after).get();
      if (!previous.exists) return undefined;
      query = query.startAfter(previous);
    }
    const snapshot = await query.get();
    return snapshot.docs.map((doc) => fromStored(doc.data() as StoredMediaRecord));
  }

  async show(agentId: string, media: ShownMedia): Promise<void> {
    await this.db
      .collection(AGENT_DESKS)
      .doc(agentId)
      .collection(MEDIA)
      .doc(media.id)
      .set({ ...media, expireAt: Timestamp.fromDate(media.expireAt) });
  }
}

/** More than any ask may hold (the api bounds an ask's files). */
const MAX_SLOTS_PER_ASK = 10;

const recordsOf = (docs: { data(): unknown }[]) =>
  docs.map((doc) => fromStored(doc.data() as StoredMediaRecord)).sort((a, b) => a.slot - b.slot);

type StoredMediaRecord = Omit<MediaRecord, 'expireAt'> & { requestKey: string; expireAt: Timestamp };

const toStored = (record: MediaRecord, requestKey: string): StoredMediaRecord => ({
  ...record,
  requestKey,
  expireAt: Timestamp.fromDate(record.expireAt),
});

function fromStored(stored: StoredMediaRecord): MediaRecord {
  const { requestKey: _requestKey, expireAt, ...record } = stored;
  return { ...record, expireAt: expireAt.toDate() };
}
