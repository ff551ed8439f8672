import type { CloudTasksClient, protos } from '@google-cloud/tasks';
import type { OfferTimeouts } from '../../ports/chats.js';
import { GrpcCode } from '../grpc-codes.js';
import { clientOptions } from './recording-tasks.js';

export interface CloudTasksOfferTimeoutsOptions {
  /** `projects/P/locations/L/queues/Q`. */
  queue: string;
  /** The handler's URL; also the audience of the OIDC tokens the tasks carry. */
  url: string;
  serviceAccountEmail: string;
  /** A local Cloud Tasks REST endpoint (host:port), as for the recordings queue. */
  emulatorHost?: string;
}

const HTTP_CONFLICT = 409;

/**
 * Task ids name the offer: `offer-` and the base64url of "sessionId offerId" (both identifiers of at
 * most 128 characters, so at most 350 characters, within Cloud Tasks' 500). Cloud Tasks refuses a second
 * task of a name it holds, so a redelivered event or a retried request schedules one timeout per offer.
 */
export const offerTimeoutTaskId = (sessionId: string, offerId: string) =>
  `offer-${Buffer.from(`${sessionId} ${offerId}`, 'utf8').toString('base64url')}`;

export class CloudTasksOfferTimeouts implements OfferTimeouts {
  private client: Promise<CloudTasksClient> | undefined;

  constructor(private readonly options: CloudTasksOfferTimeoutsOptions) {}

  // The Cloud Tasks client is heavy: loaded on the first offer, not at cold start.
  private tasks(): Promise<CloudTasksClient> {
    this.client ??= import('@google-cloud/tasks').then(
      ({ CloudTasksClient }) => new CloudTasksClient(clientOptions(this.options.emulatorHost)),
    );
    return this.client;
  }

  async schedule(sessionId: string, offerId: string, at: Date): Promise<void> {
    const ms = at.getTime();
    const task: protos.google.cloud.tasks.v2.ITask = {
      name: `${this.options.queue}/tasks/${offerTimeoutTaskId(sessionId, offerId)}`,
      httpRequest: {
        url: this.options.url,
        httpMethod: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: Buffer.from(JSON.stringify({ sessionId, offerId })),
        oidcToken: { serviceAccountEmail: this.options.serviceAccountEmail, audience: this.options.url },
      },
      scheduleTime: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 },
    };
    try {
      await (await this.tasks()).createTask({ parent: this.options.queue, task });
    } catch (error) {
      const { code, status } = (error ?? {}) as { code?: unknown; status?: unknown };
      if (code !== GrpcCode.ALREADY_EXISTS && code !== HTTP_CONFLICT && status !== HTTP_CONFLICT) throw error;
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await (await client).close();
  }
}
