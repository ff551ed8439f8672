/** A chat message as the platform reported it: the original text, before any masking. */
export interface OriginalMessage {
  messageId: string;
  author: { type: 'consumer' | 'agent' | 'virtual_agent' | 'system'; id?: string };
  text: string;
  sentAt: string;
}

/** Where the original text of chat messages is kept: server side only, never an agent's client. */
export interface OriginalMessages {
  find(sessionId: string, messageId: string): Promise<OriginalMessage | undefined>;
}
