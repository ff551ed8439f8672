import type { DocumentReference, Firestore, Transaction } from '@google-cloud/firestore';
import {
  MAX_REQUESTS_PER_SESSION,
  settleRequest,
  withEffectsDone,
  type OwedEffect,
  type Settled,
  type SmartActionOutcome,
  type SmartActionRequest,
} from '../../domain/smart-actions/actions.js';
import type { CreateDecision, SmartActionRequests } from '../../ports/smart-actions.js';

/**
 * Layout: `sessions/{sessionId}/smartActions/{requestId}`, the request as the use cases see it (a
 * call's agent reads it there: firestore.rules); for a chat, whose session agents never read, a copy
 * without the server's bookkeeping at `agentDesks/{agentId}/chats/{sessionId}/smartActions/{requestId}`,
 * written in the same transaction as the request.
 */
export const SMART_ACTIONS = 'smartActions';

/** What an agent's desktop reads of a request: what it asked and what came back. */
export function agentCopyOf(request: SmartActionRequest) {
  const { owed: _owed, clientRequestId: _clientRequestId, ...shown } = request;
  return shown;
}

export class FirestoreSmartActionRequests implements SmartActionRequests {
  constructor(private readonly db: Firestore) {}

  private requests = (sessionId: string) =>
    this.db.collection('sessions').doc(sessionId).collection(SMART_ACTIONS);
  private ref = (sessionId: string, requestId: string): DocumentReference =>
    this.requests(sessionId).doc(requestId);
  private deskCopy = (request: SmartActionRequest): DocumentReference =>
    this.db
      .collection('agentDesks')
      .doc(request.agentId)
      .collection('chats')
      .doc(request.sessionId)
      .collection(SMART_ACTIONS)
      .doc(request.id);

  private put(t: Transaction, request: SmartActionRequest, create: boolean) {
    const ref = this.ref(request.sessionId, request.id);
    if (create) t.create(ref, request);
    else t.set(ref, request);
    if (request.kind === 'chat') t.set(this.deskCopy(request), agentCopyOf(request));
  }

  async get(sessionId: string, requestId: string): Promise<SmartActionRequest | undefined> {
    return (await this.ref(sessionId, requestId).get()).data() as SmartActionRequest | undefined;
  }

  async list(sessionId: string): Promise<SmartActionRequest[]> {
    const snapshot = await this.requests(sessionId)
      .orderBy('requestedAt')
      .limit(MAX_REQUESTS_PER_SESSION)
      .get();
    return snapshot.docs.map((d) => d.data() as SmartActionRequest);
  }

  create(
    sessionId: string,
    decide: (existing: readonly SmartActionRequest[]) => CreateDecision,
  ): Promise<{ request: SmartActionRequest; created: boolean }> {
    return this.db.runTransaction(async (t) => {
      // Bounded: asking refuses a request past the bound, so the read never grows past it.
      const snapshot = await t.get(this.requests(sessionId).limit(MAX_REQUESTS_PER_SESSION + 1));
      const existing = snapshot.docs
        .map((d) => d.data() as SmartActionRequest)
        .sort((a, b) => (a.requestedAt < b.requestedAt ? -1 : a.requestedAt > b.requestedAt ? 1 : 0));
      const decision = decide(existing);
      if ('existing' in decision) return { request: decision.existing, created: false };
      this.put(t, decision.create, true);
      return { request: decision.create, created: true };
    });
  }

  settle(
    sessionId: string,
    requestId: string,
    outcome: SmartActionOutcome,
    at: Date,
    effects: readonly OwedEffect[] = [],
  ): Promise<Settled | undefined> {
    return this.db.runTransaction(async (t) => {
      const request = (await t.get(this.ref(sessionId, requestId))).data() as SmartActionRequest | undefined;
      if (!request) return undefined;
      const settled = settleRequest(request, outcome, at, effects);
      if (settled.changed) this.put(t, settled.request, false);
      return settled;
    });
  }

  async effectsDone(sessionId: string, requestId: string, effects: readonly OwedEffect[]): Promise<void> {
    await this.db.runTransaction(async (t) => {
      const request = (await t.get(this.ref(sessionId, requestId))).data() as SmartActionRequest | undefined;
      if (!request || !request.owed.some((e) => effects.includes(e))) return;
      this.put(t, withEffectsDone(request, effects), false);
    });
  }
}
