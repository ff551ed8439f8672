export const AgentState = ['available', 'busy', 'away', 'rona', 'offline'] as const;
export type AgentState = (typeof AgentState)[number];

export interface AgentPresence {
  /** Records a state reported by the platform; an older report than the stored one changes nothing. */
  report(agentId: string, state: AgentState, at: Date): Promise<{ applied: boolean }>;
  /** The agents logged in now (any state but offline). */
  loggedIn(): Promise<Set<string>>;
}
