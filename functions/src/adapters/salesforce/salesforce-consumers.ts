import type {
  AnonymousTicketMade,
  AnonymousTicketRequest,
  CaseMove,
  ConsumerCrm,
} from '../../ports/consumer-crm.js';
import { SALESFORCE_ID } from '../../ports/crm.js';
import { MAX_TICKETS_PER_CONSUMER } from '../../domain/consumers/anonymous.js';
import { failureFromAnswer, notAcknowledged, permanent } from './errors.js';
import { escapeSoqlString } from './salesforce-crm.js';

/**
 * Anonymous consumers' tickets on Salesforce: a Contact and a Case, made in one Composite API request
 * (all or none), then Cases moved between Contacts with one sObject Collections update.
 *
 * Idempotent through two External ID + Unique text fields (to be created in the org):
 * `Switchboard_Consumer_Key__c` on Contact (`web_visitor:<id>`, `mobile_sdk:<id>`) and
 * `Switchboard_Session_Key__c` on Case (the session id). The case is upserted by its key, so a repeat
 * finds the case the first attempt made; a contact that is already there (DUPLICATE_VALUE: an earlier
 * attempt made it but its answer was lost, or another session of the same consumer) is looked up.
 */
const CONSUMER_KEY_FIELD = 'Switchboard_Consumer_Key__c';
const SESSION_KEY_FIELD = 'Switchboard_Session_Key__c';
/** A merge moves every ticket of a consumer at once; their cap is sObject Collections' 200 records. */
const MAX_CASES_PER_MOVE = MAX_TICKETS_PER_CONSUMER;
/** Salesforce requires a last name on a Contact; the first name says who and when. */
const ANONYMOUS_LAST_NAME = 'Anonymous';

export interface SalesforceApi {
  apiRequest<T>(method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown): Promise<T>;
}

interface SubAnswer {
  body: unknown;
  httpStatusCode: number;
  referenceId: string;
}

interface SaveResult {
  id?: unknown;
  success?: unknown;
  errors?: { statusCode?: unknown }[];
}

const idIn = (body: unknown): string | undefined => {
  const id = (body as { id?: unknown } | null)?.id;
  return typeof id === 'string' && SALESFORCE_ID.test(id) ? id : undefined;
};

const errorCodeOf = (body: unknown): string | undefined => {
  const first: unknown = Array.isArray(body) ? body[0] : undefined;
  const code = (first as { errorCode?: unknown } | undefined)?.errorCode;
  return typeof code === 'string' ? code : undefined;
};

/** A composite sub-request that was rolled back only because another one failed. */
const HALTED = 'PROCESSING_HALTED';
/** A record of a collection update that was rolled back only because another one failed. */
const ROLLED_BACK = 'ALL_OR_NONE_OPERATION_ROLLED_BACK';

export class SalesforceConsumerCrm implements ConsumerCrm {
  constructor(
    private readonly api: SalesforceApi,
    private readonly apiVersion: string,
  ) {}

  async createAnonymousTicket(request: AnonymousTicketRequest): Promise<AnonymousTicketMade> {
    if (request.consumerKey.length === 0 || request.consumerKey.length > 255)
      throw permanent('invalid_ticket');
    if (request.contactId !== null) {
      if (!SALESFORCE_ID.test(request.contactId)) throw permanent('invalid_ticket');
      return { contactId: request.contactId, caseId: await this.upsertCase(request, request.contactId) };
    }
    const base = `/services/data/v${this.apiVersion}`;
    const answer = await this.api.apiRequest<{ compositeResponse?: SubAnswer[] }>('POST', '/composite', {
      allOrNone: true,
      compositeRequest: [
        {
          method: 'POST',
          url: `${base}/sobjects/Contact`,
          referenceId: 'contact',
          body: {
            FirstName: request.firstName,
            LastName: ANONYMOUS_LAST_NAME,
            [CONSUMER_KEY_FIELD]: request.consumerKey,
          },
        },
        {
          method: 'PATCH',
          url: `${base}/sobjects/Case/${SESSION_KEY_FIELD}/${encodeURIComponent(request.sessionId)}`,
          referenceId: 'case',
          body: this.caseFields(request, '@{contact.id}'),
        },
      ],
    });
    const subs = answer.compositeResponse ?? [];
    const contact = subs.find((s) => s.referenceId === 'contact');
    const created = subs.find((s) => s.referenceId === 'case');
    if (!contact || !created) throw notAcknowledged('unexpected_answer');
    const ok = (s: SubAnswer) => s.httpStatusCode >= 200 && s.httpStatusCode < 300;
    if (ok(contact) && ok(created)) {
      const contactId = idIn(contact.body);
      const caseId = idIn(created.body);
      if (!contactId || !caseId) throw notAcknowledged('unexpected_answer');
      return { contactId, caseId };
    }
    const failed = [contact, created].find((s) => !ok(s) && errorCodeOf(s.body) !== HALTED) ?? contact;
    const code = errorCodeOf(failed.body);
    if (failed === contact && code === 'DUPLICATE_VALUE') {
      const contactId = await this.findContact(request.consumerKey);
      if (!contactId) throw notAcknowledged('duplicate_not_visible');
      return { contactId, caseId: await this.upsertCase(request, contactId) };
    }
    throw failureFromAnswer(failed.httpStatusCode, code, undefined);
  }

  async moveCases(moves: CaseMove[]): Promise<void> {
    if (moves.length === 0) return;
    if (
      moves.length > MAX_CASES_PER_MOVE ||
      moves.some((m) => !SALESFORCE_ID.test(m.caseId) || !SALESFORCE_ID.test(m.contactId))
    )
      throw permanent('invalid_move');
    const results = await this.api.apiRequest<SaveResult[]>('PATCH', '/composite/sobjects', {
      allOrNone: true,
      records: moves.map((m) => ({ attributes: { type: 'Case' }, id: m.caseId, ContactId: m.contactId })),
    });
    if (!Array.isArray(results) || results.length !== moves.length)
      throw notAcknowledged('unexpected_answer');
    if (results.every((r) => r.success === true)) return;
    // With all or none, the records that were fine say only that they were rolled back.
    const codes = results
      .flatMap((r) => (r.success === true ? [] : (r.errors ?? [])))
      .map((e) => e.statusCode)
      .filter((c): c is string => typeof c === 'string');
    throw failureFromAnswer(400, codes.find((c) => c !== ROLLED_BACK) ?? codes[0], undefined);
  }

  private caseFields(request: AnonymousTicketRequest, contactId: string) {
    return { ContactId: contactId, Subject: request.firstName, Origin: request.origin };
  }

  private async upsertCase(request: AnonymousTicketRequest, contactId: string): Promise<string> {
    const answer = await this.api.apiRequest<unknown>(
      'PATCH',
      `/sobjects/Case/${SESSION_KEY_FIELD}/${encodeURIComponent(request.sessionId)}`,
      this.caseFields(request, contactId),
    );
    const id = idIn(answer);
    if (!id) throw notAcknowledged('unexpected_answer');
    return id;
  }

  private async findContact(consumerKey: string): Promise<string | undefined> {
    const soql = `SELECT Id FROM Contact WHERE ${CONSUMER_KEY_FIELD} = '${escapeSoqlString(consumerKey)}'`;
    const result = await this.api.apiRequest<{ records?: { Id?: unknown }[] }>(
      'GET',
      `/query?q=${encodeURIComponent(soql)}`,
    );
    const id = result.records?.[0]?.Id;
    return typeof id === 'string' && SALESFORCE_ID.test(id) ? id : undefined;
  }
}
