import type { AnonymousConsumer, ConsumerMerge } from '../domain/consumers/anonymous.js';

/** What one transaction on an anonymous consumer read, and may write. */
export interface ConsumerTransaction {
  getConsumer(key: string): Promise<AnonymousConsumer | undefined>;
  getMerge(mergeId: string): Promise<ConsumerMerge | undefined>;
  putConsumer(consumer: AnonymousConsumer): void;
  putMerge(merge: ConsumerMerge): void;
}

/** Anonymous consumers and their merges (Firestore `consumers/`, `consumerMerges/`). */
export interface ConsumerStore {
  /** Reads, then writes, atomically; retried from the start when another write got there first. */
  inTransaction<T>(work: (tx: ConsumerTransaction) => Promise<T>): Promise<T>;
  getConsumer(key: string): Promise<AnonymousConsumer | undefined>;
  getMerge(mergeId: string): Promise<ConsumerMerge | undefined>;
}

/** Cloud Tasks for the CRM work of anonymous consumers, named so that each is made once. */
export interface ConsumerTasks {
  enqueueTicket(task: { consumerKey: string; sessionId: string }): Promise<void>;
  /** Brings the CRM to what the merge says for `version`. */
  enqueueMerge(task: { mergeId: string; version: number }): Promise<void>;
}
