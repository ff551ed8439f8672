import type { AgentDesk } from '../domain/chat/chat.js';

/** The desks of agents who chose Available: those a transfer or an invitation may go to. */
export interface AvailableDesks {
  /** At most `MAX_AVAILABLE_DESKS` of them. */
  available(): Promise<AgentDesk[]>;
}

/** One read of the Available desks is bounded: a support center's agents online at once, with room. */
export const MAX_AVAILABLE_DESKS = 500;
