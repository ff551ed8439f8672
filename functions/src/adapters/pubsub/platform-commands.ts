import type { PubSub } from '@google-cloud/pubsub';
import type { PlatformCommand, PlatformCommands } from '../../ports/platform-commands.js';

/** Commands go to the platform's topic as JSON, with the type and id as attributes for filtering. */
export class PubSubPlatformCommands implements PlatformCommands {
  private client: Promise<PubSub> | undefined;

  constructor(
    private readonly projectId: string,
    private readonly topicName: string,
  ) {}

  // The Pub/Sub client is heavy: load it on the first command, not at cold start.
  private pubsub(): Promise<PubSub> {
    this.client ??= import('@google-cloud/pubsub').then(
      ({ PubSub }) => new PubSub({ projectId: this.projectId }),
    );
    return this.client;
  }

  async publish(command: PlatformCommand): Promise<void> {
    const topic = (await this.pubsub()).topic(this.topicName);
    await topic.publishMessage({
      json: command,
      attributes: { type: command.type, commandId: command.commandId },
    });
  }
}
