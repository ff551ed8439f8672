import type { DeflectionSettingsStore } from '../../ports/deflection-settings.js';
import type { AgentPresence } from '../../ports/presence.js';
import type { ScheduledCallBook } from '../../ports/scheduled-calls.js';
import type { VoicemailStore } from '../../ports/voicemails.js';
import type { DeflectionEngine } from './engine.js';

/** What the deflection routes of both functions work with. */
export interface DeflectionDeps {
  settings: DeflectionSettingsStore;
  engine: DeflectionEngine;
  presence: AgentPresence;
  voicemails: VoicemailStore;
  scheduledCalls: ScheduledCallBook;
}
