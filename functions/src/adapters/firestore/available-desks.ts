import type { Firestore } from '@google-cloud/firestore';
import type { AgentDesk } from '../../domain/chat/chat.js';
import { MAX_AVAILABLE_DESKS, type AvailableDesks } from '../../ports/available-desks.js';
import { AGENT_DESKS } from './chats.js';

/** `agentDesks` whose state is Available (a single-field index, which Firestore keeps by itself). */
export class FirestoreAvailableDesks implements AvailableDesks {
  constructor(private readonly db: Firestore) {}

  async available(): Promise<AgentDesk[]> {
    const snapshot = await this.db
      .collection(AGENT_DESKS)
      .where('state', '==', 'available')
      .limit(MAX_AVAILABLE_DESKS)
      .get();
    return snapshot.docs.map((d) => d.data() as AgentDesk);
  }
}
