import type { Clock } from '../../ports/clock.js';
import type { CrmClient } from '../../ports/crm.js';
import type { RecordingBlobs, RecordingPlans, RecordingTasks } from '../../ports/recordings.js';
import type { SessionRepository } from '../../ports/session-repository.js';
import type { SmartActionRequests } from '../../ports/smart-actions.js';

/** What the recordings use cases work through, in every function that works on recordings. */
export interface RecordingPipelineDeps {
  plans: RecordingPlans;
  blobs: RecordingBlobs;
  tasks: RecordingTasks;
  /** The CRM record of a call is on its session. */
  sessions: Pick<SessionRepository, 'getSession'>;
  /** The call's redactions, whose paused spans the CRM's copy of the recording names (SMA-1). */
  redactions?: Pick<SmartActionRequests, 'list'>;
  clock: Clock;
  /** The bucket the platform writes recordings to; objects elsewhere are not ours. */
  bucket: string;
  /** 50 MB (10^6 bytes) in production; smaller only in tests. */
  partSizeBytes: number;
}

/** The worker's: only its upload tasks talk to the CRM, whose client is built on the first upload. */
export interface RecordingsDeps extends RecordingPipelineDeps {
  crm: () => CrmClient;
}

/** What a task handler tells the queue: done (acknowledge), or come back later. */
export type TaskAnswer =
  | { outcome: 'done' }
  | {
      outcome: 'retry';
      /** `limit_reached`: the CRM asked us to slow down (HTTP 429); otherwise 503. */
      slowDown: boolean;
      retryAfterSeconds?: number;
      reason: string;
    };

export const DONE: TaskAnswer = { outcome: 'done' };
