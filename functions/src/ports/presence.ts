import type { AgentState } from '../domain/chat/agent-state.js';

export { AgentState } from '../domain/chat/agent-state.js';

export interface AgentPresence {
  /** Records a state reported by the platform; an older report than the stored one changes nothing. */
  report(agentId: string, state: AgentState, at: Date): Promise<{ applied: boolean }>;
  /** The agents logged in now (any state but offline). */
  loggedIn(): Promise<Set<string>>;
}
