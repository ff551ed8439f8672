import { CrmError, SALESFORCE_ID, type UploadOutcome } from '../../ports/crm.js';
import type { VoicemailCrm, VoicemailFile } from '../../ports/voicemails.js';
import { notAcknowledged, permanent } from './errors.js';
import {
  PART_KEY_FIELD,
  md5Of,
  sameChecksum,
  type FileInsert,
  type StoredPart,
  type UploadSeen,
} from './salesforce-crm.js';

/**
 * Voicemails on Salesforce: one ContentVersion on the call's record, sent on the recordings' session
 * (SalesforceCrm) with the same streamed multipart insert.
 *
 * At most once: the file carries `Recording_Part_Key__c = "voicemail:<voicemailId>"`, the recordings'
 * External ID + Unique field (no other field to create in the org; a recording's key is
 * `<planId>:<part>`, and a plan id is never `voicemail`). On the happy path the insert is the only
 * call. When an earlier attempt's outcome is unknown, the key is looked up first, and a file found
 * there is confirmed by its `Checksum` instead of being sent again; a repeat that still races one in
 * is refused as DUPLICATE_VALUE and confirmed the same way.
 */
export interface SalesforceFiles {
  insertFile(file: FileInsert, seen: UploadSeen): Promise<UploadOutcome>;
  lookup(key: string, seen: UploadSeen): Promise<StoredPart | undefined>;
}

export const voicemailKey = (voicemailId: string) => `voicemail:${voicemailId}`;

/** The key is a 255-character text field. */
const MAX_KEY_LENGTH = 255;
const MAX_TITLE_LENGTH = 255;

function checkFile(file: VoicemailFile) {
  const valid =
    file.voicemailId.length > 0 &&
    voicemailKey(file.voicemailId).length <= MAX_KEY_LENGTH &&
    SALESFORCE_ID.test(file.crmRecordId) &&
    file.title.length > 0 &&
    file.title.length <= MAX_TITLE_LENGTH &&
    file.fileName.length > 0 &&
    Number.isSafeInteger(file.sizeBytes) &&
    file.sizeBytes > 0;
  if (!valid) throw permanent('invalid_voicemail');
}

export class SalesforceVoicemailCrm implements VoicemailCrm {
  constructor(private readonly salesforce: SalesforceFiles) {}

  async attachVoicemail(file: VoicemailFile): Promise<UploadOutcome> {
    checkFile(file);
    const key = voicemailKey(file.voicemailId);
    const seen: UploadSeen = {};
    const outcome = await this.attach(file, key, seen);
    return seen.usage ? { ...outcome, apiUsage: seen.usage } : outcome;
  }

  private async attach(file: VoicemailFile, key: string, seen: UploadSeen): Promise<UploadOutcome> {
    if (file.lookFirst) {
      const stored = await this.salesforce.lookup(key, seen);
      if (stored) return sameChecksum(stored, await md5Of(file.body));
    }
    try {
      return await this.salesforce.insertFile(
        {
          entityContent: {
            Title: file.title,
            PathOnClient: file.fileName,
            FirstPublishLocationId: file.crmRecordId,
            [PART_KEY_FIELD]: key,
          },
          fileName: file.fileName,
          sizeBytes: file.sizeBytes,
          body: file.body,
          reread: file.reread,
        },
        seen,
      );
    } catch (error) {
      if (!(error instanceof CrmError) || error.reason !== 'duplicate_value') throw error;
      const other = await this.salesforce.lookup(key, seen);
      if (!other) throw notAcknowledged('duplicate_not_visible');
      // The bytes were hashed as they were sent, unless Salesforce answered before it had them all.
      return sameChecksum(other, seen.sentMd5Base64 ?? (await md5Of(file.reread())));
    }
  }
}
