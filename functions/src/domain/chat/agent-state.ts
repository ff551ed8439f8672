/**
 * An agent's state, as the desktop shows it and the platform routes by: only an Available agent is
 * offered chats. RONA (redirection on no answer) is set by the system when an offer times out, and only
 * the agent leaves it, by choosing another state by hand.
 */
export const AgentState = ['available', 'busy', 'away', 'rona', 'offline'] as const;
export type AgentState = (typeof AgentState)[number];

/** The states an agent may choose for themselves: RONA is the system's to set. */
export const CHOSEN_AGENT_STATES = ['available', 'busy', 'away', 'offline'] as const;
export type ChosenAgentState = (typeof CHOSEN_AGENT_STATES)[number];
