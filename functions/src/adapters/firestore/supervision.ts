import { FieldPath, type Firestore, type Query } from '@google-cloud/firestore';
import type { Cursor, QueryPlan } from '../../domain/supervision/session-listing.js';
import { StuckThresholds } from '../../domain/supervision/session-listing.js';
import type {
  AgentQueries,
  AgentSummary,
  AuditEntry,
  AuditLog,
  ChatMessage,
  EndConfirmation,
  EndConfirmations,
  ListedSession,
  Monitor,
  MonitorMode,
  MonitorStore,
  SessionQueries,
  SupervisionSettings,
} from '../../ports/supervision.js';
import type { Clock } from '../../ports/clock.js';
import type { StuckThresholdSettings } from '../../ports/directory-admin.js';
import { storedSession } from '../../domain/sessions/session.js';
import { EVENTS, SESSIONS } from './session-repository.js';
import { TtlCache } from './cache.js';

export function toQuery(db: Firestore, plan: QueryPlan): Query {
  let query: Query = db.collection(plan.collection);
  for (const [field, value] of plan.equals) query = query.where(field, '==', value);
  if (plan.array) {
    query =
      plan.array.op === 'array-contains'
        ? query.where(plan.array.field, 'array-contains', plan.array.value)
        : query.where(plan.array.field, 'array-contains-any', plan.array.values);
  }
  for (const [field, direction] of plan.orderBy)
    query = query.orderBy(field === '__name__' ? FieldPath.documentId() : field, direction);
  if (plan.startAfter) query = query.startAfter(...plan.startAfter);
  return query.limit(plan.limit);
}

/** A stored session as lists read it: without its write time, with any field it predates at its initial value. */
const listedSessionOf = (data: FirebaseFirestore.DocumentData): ListedSession => {
  const { updatedAt: _updatedAt, ...rest } = data;
  return storedSession(rest as ListedSession);
};

export class FirestoreSessionQueries implements SessionQueries {
  constructor(private readonly db: Firestore) {}

  async run(plan: QueryPlan): Promise<ListedSession[]> {
    return (await toQuery(this.db, plan).get()).docs.map((d) => listedSessionOf(d.data()));
  }

  async get(sessionId: string): Promise<ListedSession | undefined> {
    const data = (await this.db.collection(SESSIONS).doc(sessionId).get()).data();
    return data ? listedSessionOf(data) : undefined;
  }

  /** Firestore takes at most 30 values in an `in` filter: a page of up to 100 agents is asked in chunks. */
  async liveSessionsOfAgents(agentIds: readonly string[]): Promise<ListedSession[]> {
    const chunks: string[][] = [];
    for (let i = 0; i < agentIds.length; i += 30) chunks.push(agentIds.slice(i, i + 30));
    const snapshots = await Promise.all(
      chunks.map((chunk) =>
        this.db
          .collection(SESSIONS)
          .where('agent.id', 'in', chunk)
          .where('listState', '==', 'connected')
          .get(),
      ),
    );
    return snapshots.flatMap((snapshot) => snapshot.docs.map((d) => listedSessionOf(d.data())));
  }

  async messages(sessionId: string, limit: number): Promise<ChatMessage[]> {
    const snapshot = await this.db
      .collection(SESSIONS)
      .doc(sessionId)
      .collection(EVENTS)
      .where('type', '==', 'message.sent')
      .orderBy('sequence', 'desc')
      .limit(limit)
      .get();
    return snapshot.docs
      .map((d) => {
        const e = d.data();
        return {
          id: e.message.id,
          sequence: e.sequence,
          sentAt: e.occurredAt,
          author: e.message.author,
          text: e.message.text,
        } as ChatMessage;
      })
      .reverse();
  }
}

export class FirestoreAgentQueries implements AgentQueries {
  constructor(private readonly db: Firestore) {}

  async run(plan: QueryPlan): Promise<AgentSummary[]> {
    return (await toQuery(this.db, plan).get()).docs.map((d) => ({
      uid: d.id,
      name: String(d.get('name') ?? ''),
      teamIds: (d.get('teamIds') as string[] | undefined) ?? [],
      nameSort: String(d.get('nameSort') ?? ''),
    }));
  }
}

/** `monitors/{sessionId}__{uid}`: a collection of its own, denied to every client by the rules. */
export class FirestoreMonitorStore implements MonitorStore {
  constructor(private readonly db: Firestore) {}

  private ref(sessionId: string, uid: string) {
    return this.db.collection('monitors').doc(`${sessionId}__${uid}`);
  }

  async start(sessionId: string, uid: string, mode: MonitorMode, at: Date) {
    return this.db.runTransaction(async (t) => {
      const ref = this.ref(sessionId, uid);
      // Read in the transaction: a session write (its end) before the commit makes it run again.
      const [session, stored] = await t.getAll(this.db.collection(SESSIONS).doc(sessionId), ref);
      if (session?.get('listState') !== 'connected') return { started: false as const };
      const current = stored?.data() as (Monitor & { active: boolean }) | undefined;
      if (current?.active && (current.mode === mode || current.mode === 'barge'))
        return { started: true as const, monitor: strip(current), changed: false };
      const monitor: Monitor = {
        sessionId,
        uid,
        mode,
        startedAt: current?.active ? current.startedAt : at.toISOString(),
        stoppedAt: null,
        stopReason: null,
      };
      t.set(ref, { ...monitor, active: true });
      return { started: true as const, monitor, changed: true };
    });
  }

  async stop(sessionId: string, uid: string, at: Date): Promise<boolean> {
    return this.db.runTransaction(async (t) => {
      const ref = this.ref(sessionId, uid);
      const snapshot = await t.get(ref);
      if (!snapshot.exists || snapshot.get('active') !== true) return false;
      t.update(ref, { active: false, stoppedAt: at.toISOString(), stopReason: 'stopped' });
      return true;
    });
  }

  async stopAll(sessionId: string, at: Date): Promise<number> {
    const active = await this.db
      .collection('monitors')
      .where('sessionId', '==', sessionId)
      .where('active', '==', true)
      .get();
    if (active.empty) return 0;
    const batch = this.db.batch();
    for (const doc of active.docs)
      batch.update(doc.ref, { active: false, stoppedAt: at.toISOString(), stopReason: 'session_ended' });
    await batch.commit();
    return active.size;
  }

  async get(sessionId: string, uid: string): Promise<Monitor | undefined> {
    const data = (await this.ref(sessionId, uid).get()).data();
    return data ? strip(data as Monitor & { active: boolean }) : undefined;
  }
}

const strip = ({ active: _active, ...monitor }: Monitor & { active: boolean }): Monitor => monitor;

export class FirestoreAuditLog implements AuditLog {
  constructor(private readonly db: Firestore) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.db.collection('audit').doc(entry.id).set(entry);
  }

  async list(
    filter: { sessionId?: string; actorUid?: string },
    page: { limit: number; after?: Cursor },
  ): Promise<AuditEntry[]> {
    let query: Query = this.db.collection('audit');
    if (filter.sessionId) query = query.where('sessionId', '==', filter.sessionId);
    if (filter.actorUid) query = query.where('actorUid', '==', filter.actorUid);
    query = query.orderBy('at', 'desc').orderBy(FieldPath.documentId(), 'desc');
    if (page.after) query = query.startAfter(page.after.sortKey, page.after.id);
    return (await query.limit(page.limit).get()).docs.map((d) => d.data() as AuditEntry);
  }
}

export class FirestoreEndConfirmations implements EndConfirmations {
  constructor(private readonly db: Firestore) {}

  async create(confirmation: EndConfirmation): Promise<void> {
    await this.db.collection('endConfirmations').doc(confirmation.id).create(confirmation);
  }

  async get(id: string): Promise<EndConfirmation | undefined> {
    return (await this.db.collection('endConfirmations').doc(id).get()).data() as EndConfirmation | undefined;
  }

  async markUsed(id: string, at: Date): Promise<boolean> {
    return this.db.runTransaction(async (t) => {
      const ref = this.db.collection('endConfirmations').doc(id);
      const snapshot = await t.get(ref);
      if (!snapshot.exists || snapshot.get('usedAt') !== null) return false;
      t.update(ref, { usedAt: at.toISOString() });
      return true;
    });
  }
}

export class FirestoreSupervisionSettings implements SupervisionSettings, StuckThresholdSettings {
  private readonly cache: TtlCache<StuckThresholds>;

  constructor(
    private readonly db: Firestore,
    cacheTtlMs: number,
    clock: Clock,
  ) {
    this.cache = new TtlCache(cacheTtlMs, clock);
  }

  stuckThresholds(): Promise<StuckThresholds> {
    return this.cache.get('stuck', async () => {
      const value: unknown = (await this.db.doc('settings/supervision').get()).get('stuckThresholds');
      const parsed = StuckThresholds.safeParse(value ?? {});
      return parsed.success ? parsed.data : StuckThresholds.parse({});
    });
  }

  async saveStuckThresholds(thresholds: StuckThresholds): Promise<void> {
    const stored: StuckThresholds = {
      queuedMinutes: thresholds.queuedMinutes,
      connectedMinutes: thresholds.connectedMinutes,
    };
    await this.db
      .doc('settings/supervision')
      .set({ stuckThresholds: stored }, { mergeFields: ['stuckThresholds'] });
    this.cache.forget('stuck');
  }
}
