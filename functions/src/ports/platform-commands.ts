/**
 * Commands to the platform, which owns the media plane: listen in, barge, end. Each has an id the
 * platform deduplicates on, so publishing one twice is harmless.
 */
export type PlatformCommand =
  | { type: 'monitor.start' | 'monitor.stop'; commandId: string; sessionId: string; supervisorId: string }
  | { type: 'barge'; commandId: string; sessionId: string; supervisorId: string }
  | {
      type: 'session.end';
      commandId: string;
      sessionId: string;
      requestedBy: string;
      reason: 'ended_by_supervisor';
    };

export interface PlatformCommands {
  publish(command: PlatformCommand): Promise<void>;
}
