/**
 * The CRM side of anonymous consumers (UNA-1 … UNA-5): their tickets, and moving tickets between
 * contacts when a consumer logs in (or an admin undoes that). Failures are the recordings' CrmError,
 * with the same kinds (REC-2: retried unless `permanent`).
 */
export interface AnonymousTicketRequest {
  /** The contact's external id: `web_visitor:<id>` or `mobile_sdk:<id>`. */
  consumerKey: string;
  /** `Web User - MM/DD HH:mm` or `Mobile User - MM/DD HH:mm`. */
  firstName: string;
  /** The case's external id: one case per session, whatever the number of attempts. */
  sessionId: string;
  origin: 'Web' | 'Mobile';
  /** The consumer's contact, when an earlier ticket made it: only the case is made then. */
  contactId: string | null;
}

export interface AnonymousTicketMade {
  contactId: string;
  caseId: string;
}

export interface CaseMove {
  caseId: string;
  contactId: string;
}

export interface ConsumerCrm {
  /**
   * The contact (unless `contactId` is given) and the session's case, in one request on the happy path.
   * Keyed by external ids, so that a repeat after a lost acknowledgement finds what the first made.
   */
  createAnonymousTicket(request: AnonymousTicketRequest): Promise<AnonymousTicketMade>;
  /** Sets each case's contact, all or none (at most 200 cases). Setting the same contact again is harmless. */
  moveCases(moves: CaseMove[]): Promise<void>;
}
