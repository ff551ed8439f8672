import type { Firestore, Transaction } from '@google-cloud/firestore';
import type { AnonymousConsumer, ConsumerMerge } from '../../domain/consumers/anonymous.js';
import type { ConsumerStore, ConsumerTransaction } from '../../ports/consumers.js';

const CONSUMERS = 'consumers';
const MERGES = 'consumerMerges';

/**
 * Anonymous consumers in `consumers/{source:id}` and their merges in `consumerMerges/{mergeId}`.
 * Every change reads then writes in one transaction: two logins at once are serialised on the
 * consumer's document, and one of them sees what the other wrote.
 */
export class FirestoreConsumerStore implements ConsumerStore {
  constructor(private readonly db: Firestore) {}

  inTransaction<T>(work: (tx: ConsumerTransaction) => Promise<T>): Promise<T> {
    return this.db.runTransaction((t) => work(this.transaction(t)));
  }

  async getConsumer(key: string): Promise<AnonymousConsumer | undefined> {
    return (await this.db.collection(CONSUMERS).doc(key).get()).data() as AnonymousConsumer | undefined;
  }

  async getMerge(mergeId: string): Promise<ConsumerMerge | undefined> {
    return (await this.db.collection(MERGES).doc(mergeId).get()).data() as ConsumerMerge | undefined;
  }

  private transaction(t: Transaction): ConsumerTransaction {
    const consumers = this.db.collection(CONSUMERS);
    const merges = this.db.collection(MERGES);
    return {
      getConsumer: async (key) => (await t.get(consumers.doc(key))).data() as AnonymousConsumer | undefined,
      getMerge: async (id) => (await t.get(merges.doc(id))).data() as ConsumerMerge | undefined,
      putConsumer: (consumer) => void t.set(consumers.doc(consumer.key), consumer),
      putMerge: (merge) => void t.set(merges.doc(merge.id), merge),
    };
  }
}
