import type { Firestore } from '@google-cloud/firestore';
import type { AgentPresence, AgentState } from '../../ports/presence.js';

/** `presence/{agentId}`: the platform's latest report of each agent's state. */
export class FirestoreAgentPresence implements AgentPresence {
  constructor(private readonly db: Firestore) {}

  report(agentId: string, state: AgentState, at: Date): Promise<{ applied: boolean }> {
    return this.db.runTransaction(async (t) => {
      const ref = this.db.collection('presence').doc(agentId);
      const stored = (await t.get(ref)).get('at') as string | undefined;
      // Reports may arrive out of order: the latest by the platform's clock wins.
      if (stored !== undefined && stored >= at.toISOString()) return { applied: false };
      t.set(ref, { state, at: at.toISOString(), loggedIn: state !== 'offline' });
      return { applied: true };
    });
  }

  async loggedIn(): Promise<Set<string>> {
    const snapshot = await this.db.collection('presence').where('loggedIn', '==', true).select().get();
    return new Set(snapshot.docs.map((d) => d.id));
  }
}
