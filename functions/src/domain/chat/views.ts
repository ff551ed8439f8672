import { maskCustomerName, maskSensitiveText } from '../privacy/masking.js';
import { shownProfileFlags, type SessionProfile, type ShownProfileFlag } from '../sessions/profile.js';
import type { ChatCase, OfferPurpose } from './chat.js';

/**
 * The documents made for one agent's desktop (offers and chats they follow with listeners): built
 * here, masked here when the company masks sensitive data, so that nothing an agent's client can read
 * ever holds the original text.
 */
export type AgentChatStatus =
  | 'offered'
  | 'accepted'
  | 'transfer_requested'
  | 'conference_requested'
  | 'conference'
  | 'interrupted'
  | 'ended'
  | 'transferred'
  | 'wrapped_up'
  | 'withdrawn';

export interface AgentChatView {
  sessionId: string;
  status: AgentChatStatus;
  /** How this agent is in the chat: answering it, sharing it, offered it, or no longer in it. */
  role: 'owner' | 'guest' | 'offered' | 'former';
  offer: { offerId: string; purpose: OfferPurpose; receivedAt: string; expiresAt: string } | null;
  customerName: string;
  customerInitials: string;
  queueName: string;
  agentName: string;
  /** RDP-2: the customer's profile flags, each with where it came from. */
  profileFlags: ShownProfileFlag[];
  /** When the chat began (the session's creation). */
  date: string;
  /** Set when an asset the chat depends on was deleted: the warning the desktop shows. */
  interruption: { warning: string; at: string } | null;
  wrapUpOwed: boolean;
  updatedAt: string;
}

export interface ThreadMessage {
  messageId: string;
  author: 'customer' | 'agent' | 'system';
  /** The agent who wrote it, for agent messages. */
  agentId: string | null;
  /** The customer's initials on customer messages (LCH-3). */
  initials: string | null;
  text: string;
  sentAt: string;
  /** The platform's sequence, or the send time's order for messages not yet echoed: the thread's order. */
  order: string;
}

/** The order of a thread: by time, then by id for messages of the same instant. */
export const threadOrder = (sentAt: string, messageId: string) => `${sentAt}|${messageId}`;

/** A message of the session (a `message.sent` event) as a thread shows it. */
export function threadMessageOf(
  message: { id: string; author: { type: string; id?: string | undefined }; text: string },
  sentAt: string,
  customerInitials: string,
): ThreadMessage {
  const author =
    message.author.type === 'consumer' ? 'customer' : message.author.type === 'agent' ? 'agent' : 'system';
  return {
    messageId: message.id,
    author,
    agentId: author === 'agent' ? (message.author.id ?? null) : null,
    initials: author === 'customer' ? customerInitials : null,
    text: message.text,
    sentAt,
    order: threadOrder(sentAt, message.id),
  };
}

/** What of the session a view shows, as the platform reported it (unmasked: `viewFor` masks). */
export interface ChatDetails {
  customerName: string | null;
  customerId: string;
  queueName: string;
  agentName: string;
  createdAt: string;
  profile: SessionProfile;
}

export const initialsOf = (name: string): string => {
  const letters = name
    .split(/\s+/u)
    .map((word) => /\p{L}/u.exec(word)?.[0])
    .filter((letter): letter is string => letter !== undefined);
  if (letters.length === 0) return '#';
  const chosen = letters.length === 1 ? letters : [letters[0]!, letters[letters.length - 1]!];
  return chosen.join('').toLocaleUpperCase();
};

const WARNINGS: Readonly<Record<string, string>> = {
  queue: 'The queue of this chat was deleted by an admin. The chat cannot continue: end it.',
  agent: 'An agent of this chat was removed by an admin. The chat cannot continue: end it.',
  wrap_up_reason_list: 'The wrap-up reasons were deleted by an admin. The chat cannot continue: end it.',
};

function statusFor(chat: ChatCase, agentId: string): Pick<AgentChatView, 'status' | 'role'> {
  if (chat.offer?.agentId === agentId) return { status: 'offered', role: 'offered' };
  if (chat.owner === agentId) return { status: chat.phase as AgentChatStatus, role: 'owner' };
  if (chat.guest === agentId) return { status: chat.phase as AgentChatStatus, role: 'guest' };
  const stillLive = chat.phase !== 'ended' && chat.phase !== 'wrapped_up' && chat.phase !== 'withdrawn';
  if (chat.wrapUpOwedBy.includes(agentId))
    return { status: stillLive ? 'transferred' : 'ended', role: 'former' };
  if (chat.wrapUps.some((w) => w.agentId === agentId)) return { status: 'wrapped_up', role: 'former' };
  return { status: 'withdrawn', role: 'former' };
}

/** The agent's view of the chat; `mask` is the company's *Mask sensitive customer data* setting. */
export function viewFor(chat: ChatCase, agentId: string, details: ChatDetails, mask: boolean): AgentChatView {
  const shownName = details.customerName ?? details.customerId;
  const customerName = mask ? maskCustomerName(shownName) : shownName;
  const offer = chat.offer?.agentId === agentId ? chat.offer : null;
  return {
    sessionId: chat.sessionId,
    ...statusFor(chat, agentId),
    offer: offer && {
      offerId: offer.offerId,
      purpose: offer.purpose,
      receivedAt: offer.offeredAt,
      expiresAt: offer.expiresAt,
    },
    customerName,
    customerInitials: initialsOf(customerName),
    queueName: mask ? maskSensitiveText(details.queueName) : details.queueName,
    agentName: details.agentName,
    profileFlags: shownProfileFlags(details.profile),
    date: details.createdAt,
    interruption: chat.interruption && {
      warning: WARNINGS[chat.interruption.asset.kind] ?? WARNINGS.queue!,
      at: chat.interruption.at,
    },
    wrapUpOwed: chat.wrapUpOwedBy.includes(agentId),
    updatedAt: chat.updatedAt,
  };
}

/** A message as the agent's thread shows it, masked when the company masks sensitive data. */
export const maskedMessage = (message: ThreadMessage, mask: boolean): ThreadMessage =>
  mask ? { ...message, text: maskSensitiveText(message.text) } : message;

/** LCH-5: the composer's limit, in characters as a person counts them (grapheme clusters). */
export const MAX_MESSAGE_CHARACTERS = 1000;
/** LCH-5: reserved for template parameters; agents cannot send them. */
export const RESERVED_CHARACTERS = ['<', '>'] as const;

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * How many characters a person sees: an emoji with a skin tone, a flag or a letter with combining
 * accents is one, though it is several UTF-16 units (which `length` counts) or code points.
 */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of segmenter.segment(text)) count++;
  return count;
}

export type MessageProblem =
  | { problem: 'empty' }
  | { problem: 'too_long'; characters: number }
  | { problem: 'reserved_character'; character: string };

/** Why an agent's message cannot be sent, if it cannot (LCH-5). */
export function checkAgentMessage(text: string): MessageProblem | null {
  if (text.trim().length === 0) return { problem: 'empty' };
  const reserved = RESERVED_CHARACTERS.find((c) => text.includes(c));
  if (reserved) return { problem: 'reserved_character', character: reserved };
  // Past 16 UTF-16 units per character on average no real text is under the limit: refuse before counting.
  if (text.length > MAX_MESSAGE_CHARACTERS * 16) return { problem: 'too_long', characters: text.length };
  const characters = characterCount(text);
  return characters > MAX_MESSAGE_CHARACTERS ? { problem: 'too_long', characters } : null;
}
