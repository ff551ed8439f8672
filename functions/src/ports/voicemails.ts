import type { VoicemailLeft, VoicemailRoute } from '../domain/deflection/voicemail.js';

export interface StoredVoicemail extends VoicemailLeft {
  route: VoicemailRoute;
  receivedAt: string;
}

export interface VoicemailStore {
  /**
   * Stores the voicemail with, in the same write, a notification for each agent it goes to, or an
   * entry in the CRM outbox. False when it was already stored (a redelivery): nothing is written.
   */
  record(voicemail: StoredVoicemail): Promise<boolean>;
}
