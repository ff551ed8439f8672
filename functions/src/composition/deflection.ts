import { FirestoreDeflectionSettings } from '../adapters/firestore/deflection-settings.js';
import { FirestoreAgentPresence } from '../adapters/firestore/presence.js';
import { FirestoreScheduledCallBook } from '../adapters/firestore/scheduled-calls.js';
import { FirestoreVoicemailStore } from '../adapters/firestore/voicemails.js';
import type { DeflectionDeps } from '../app/deflection/deps.js';
import { DeflectionEngine } from '../app/deflection/engine.js';
import type { Clock } from '../ports/clock.js';
import type { Databases } from './firestore.js';

/** Deflection: the platform asks what to offer, the api edits the settings. */
export function deflection(dbs: Databases, clock: Clock): DeflectionDeps {
  const settings = new FirestoreDeflectionSettings(dbs.db(), clock);
  return {
    settings,
    // Saves are seen at once through the version listener; the time limit is only a safety net.
    engine: new DeflectionEngine(settings, 5 * 60_000, clock),
    presence: new FirestoreAgentPresence(dbs.db()),
    voicemails: new FirestoreVoicemailStore(dbs.db()),
    scheduledCalls: new FirestoreScheduledCallBook(dbs.db()),
  };
}
