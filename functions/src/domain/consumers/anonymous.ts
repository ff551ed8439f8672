import { conflict } from '../errors.js';
import { localTime } from '../hours/zone-clock.js';
import type { TemporaryConsumerId } from '../sessions/events.js';

/**
 * Anonymous consumers (UNA-1 … UNA-5): a consumer who contacts support before logging in is known by a
 * temporary id (web visitor id or mobile SDK id). Each of their sessions gets a CRM ticket (a case on a
 * contact of their own); once they log in, the tickets move to the logged-in identity, and an admin can
 * move them back.
 */

/** One merge moves every ticket in one CRM request (Salesforce's sObject collections take 200). */
export const MAX_TICKETS_PER_CONSUMER = 200;

/** The consumer's document id and the CRM contact's external id: `web_visitor:<id>`, `mobile_sdk:<id>`. */
export const consumerKey = (temporaryId: TemporaryConsumerId): string =>
  `${temporaryId.source}:${temporaryId.id}`;

const two = (n: number) => String(n).padStart(2, '0');

/**
 * UNA-2, UNA-3: `Web User - MM/DD HH:mm` or `Mobile User - MM/DD HH:mm`, read on the support center's
 * clock (its IANA zone), not the server's.
 */
export function anonymousFirstName(source: TemporaryConsumerId['source'], at: Date, zone: string): string {
  const local = localTime(zone, at.getTime());
  const [, month, day] = local.date.split('-');
  const hour = Math.floor(local.minuteOfDay / 60);
  const label = source === 'web_visitor' ? 'Web User' : 'Mobile User';
  return `${label} - ${month}/${day} ${two(hour)}:${two(local.minuteOfDay % 60)}`;
}

export interface AnonymousTicket {
  sessionId: string;
  /** When the session was created: the time in the contact's name. */
  openedAt: string;
  /** Set once the CRM acknowledged the ticket. */
  caseId: string | null;
}

/** A merge in force: the consumer's tickets belong to this logged-in identity. */
export interface MergeRef {
  mergeId: string;
  consumerId: string;
  contactId: string;
}

export interface AnonymousConsumer {
  key: string;
  temporaryId: TemporaryConsumerId;
  /** The consumer's own contact in the CRM, once the first ticket made it. */
  contactId: string | null;
  tickets: AnonymousTicket[];
  merge: MergeRef | null;
  /** The latest merge, also when it was undone (an undo in progress holds back a new merge). */
  lastMergeId: string | null;
}

export function newAnonymousConsumer(temporaryId: TemporaryConsumerId): AnonymousConsumer {
  return {
    key: consumerKey(temporaryId),
    temporaryId,
    contactId: null,
    tickets: [],
    merge: null,
    lastMergeId: null,
  };
}

/**
 * The consumer with a ticket to make for this session; undefined when it is already there (a
 * redelivered event) or when the consumer has as many tickets as a merge can move.
 */
export function withTicketToMake(
  consumer: AnonymousConsumer,
  sessionId: string,
  openedAt: Date,
): AnonymousConsumer | undefined {
  if (consumer.tickets.some((t) => t.sessionId === sessionId)) return undefined;
  if (consumer.tickets.length >= MAX_TICKETS_PER_CONSUMER) return undefined;
  return {
    ...consumer,
    tickets: [...consumer.tickets, { sessionId, openedAt: openedAt.toISOString(), caseId: null }],
  };
}

/** The consumer once the CRM acknowledged the ticket of `sessionId`. */
export function withTicketMade(
  consumer: AnonymousConsumer,
  sessionId: string,
  made: { contactId: string; caseId: string },
): AnonymousConsumer {
  return {
    ...consumer,
    contactId: consumer.contactId ?? made.contactId,
    tickets: consumer.tickets.map((t) => (t.sessionId === sessionId ? { ...t, caseId: made.caseId } : t)),
  };
}

/** One ticket a merge moved: where it was, so that undoing the merge puts it back exactly there. */
export interface TicketMove {
  sessionId: string;
  caseId: string;
  fromContactId: string;
}

export type MergeStatus = 'applying' | 'applied' | 'reverting' | 'reverted';

export interface ConsumerMerge {
  id: string;
  consumerKey: string;
  consumerId: string;
  toContactId: string;
  moves: TicketMove[];
  status: MergeStatus;
  /** Bumped by every change of what the CRM should show; a task names the version it was made for. */
  version: number;
  mergedAt: string;
  revertedAt: string | null;
  revertedBy: string | null;
}

export interface Login {
  /** The logged-in consumer's id on the platform. */
  consumerId: string;
  /** Their contact in the CRM: where the anonymous tickets go. */
  contactId: string;
  temporaryId: TemporaryConsumerId;
}

export type MergeDecision =
  { do: 'merge'; consumer: AnonymousConsumer; merge: ConsumerMerge } | { do: 'nothing'; mergeId: string };

const movesOf = (consumer: AnonymousConsumer): TicketMove[] =>
  consumer.contactId === null
    ? []
    : consumer.tickets.flatMap((t) =>
        t.caseId === null
          ? []
          : [{ sessionId: t.sessionId, caseId: t.caseId, fromContactId: consumer.contactId! }],
      );

/**
 * UNA-4: the anonymous consumer's tickets go to the identity that logged in. Logging in again as the
 * same identity changes nothing; logging in as another one is refused: the temporary id already
 * belongs to a known identity, and two known identities are never merged.
 */
export function decideMerge(
  consumer: AnonymousConsumer,
  login: Login,
  current: ConsumerMerge | undefined,
  now: Date,
  /** A new id, for the merge this login would make. */
  mergeId: string,
): MergeDecision {
  if (consumer.merge) {
    if (consumer.merge.consumerId === login.consumerId && consumer.merge.contactId === login.contactId)
      return { do: 'nothing', mergeId: consumer.merge.mergeId };
    throw conflict(
      'already_merged_elsewhere',
      'This anonymous consumer already belongs to another logged-in identity; an admin must undo that merge first.',
    );
  }
  if (current?.status === 'reverting')
    throw conflict(
      'merge_being_undone',
      'An earlier merge of this consumer is being undone; try again shortly.',
    );
  if (consumer.contactId !== null && consumer.contactId === login.contactId)
    throw conflict(
      'same_contact',
      "The logged-in identity's contact is the anonymous consumer's own contact.",
    );
  const merge: ConsumerMerge = {
    id: mergeId,
    consumerKey: consumer.key,
    consumerId: login.consumerId,
    toContactId: login.contactId,
    moves: movesOf(consumer),
    status: 'applying',
    version: 1,
    mergedAt: now.toISOString(),
    revertedAt: null,
    revertedBy: null,
  };
  return {
    do: 'merge',
    consumer: {
      ...consumer,
      merge: { mergeId, consumerId: login.consumerId, contactId: login.contactId },
      lastMergeId: mergeId,
    },
    merge,
  };
}

/**
 * A ticket the CRM acknowledged after its consumer was merged: it moves too, with the merge (the
 * merge is applied again, by a new version).
 */
export function withLateTicket(merge: ConsumerMerge, move: TicketMove): ConsumerMerge | undefined {
  if (merge.status === 'reverting' || merge.status === 'reverted') return undefined;
  if (merge.moves.some((m) => m.sessionId === move.sessionId)) return undefined;
  return { ...merge, moves: [...merge.moves, move], status: 'applying', version: merge.version + 1 };
}

/** Undoing a merge: every ticket it moved goes back to where it was. */
export function decideUndo(
  merge: ConsumerMerge,
  actorUid: string,
  now: Date,
): { do: 'undo'; merge: ConsumerMerge } | { do: 'nothing' } {
  if (merge.status === 'reverting' || merge.status === 'reverted') return { do: 'nothing' };
  return {
    do: 'undo',
    merge: {
      ...merge,
      status: 'reverting',
      version: merge.version + 1,
      revertedAt: now.toISOString(),
      revertedBy: actorUid,
    },
  };
}

/** Where the CRM should have each moved ticket now: with the logged-in identity, or back. */
export function targetOf(merge: ConsumerMerge): { caseId: string; contactId: string }[] {
  const forward = merge.status === 'applying' || merge.status === 'applied';
  return merge.moves.map((m) => ({
    caseId: m.caseId,
    contactId: forward ? merge.toContactId : m.fromContactId,
  }));
}

/** What the CRM was brought to for `version`: settled, unless the merge changed meanwhile. */
export function settled(merge: ConsumerMerge, version: number): ConsumerMerge | undefined {
  if (merge.version !== version) return undefined;
  if (merge.status === 'applying') return { ...merge, status: 'applied' };
  if (merge.status === 'reverting') return { ...merge, status: 'reverted' };
  return merge;
}
