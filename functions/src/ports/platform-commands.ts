import type { AgentState } from '../domain/chat/agent-state.js';
import type { TransferTarget } from '../domain/chat/chat.js';
import type { SmartAction } from '../domain/smart-actions/actions.js';

/**
 * Commands to the platform, which owns the media plane and routing: listen in, barge, end, re-route
 * a chat, deliver an agent's message, follow an agent's state. Each has an id the platform
 * deduplicates on, so publishing one twice is harmless.
 */
export type PlatformCommand =
  | { type: 'monitor.start' | 'monitor.stop'; commandId: string; sessionId: string; supervisorId: string }
  | { type: 'barge'; commandId: string; sessionId: string; supervisorId: string }
  | {
      type: 'session.end';
      commandId: string;
      sessionId: string;
      requestedBy: string;
      reason: 'ended_by_supervisor' | 'agent_ended';
    }
  /** LCH-2: the offer to `agentId` was not taken (timed out, declined, or the agent was not Available). */
  | {
      type: 'chat.reroute';
      commandId: string;
      sessionId: string;
      agentId: string;
      reason: 'offer_timed_out' | 'offer_declined' | 'agent_unavailable' | 'asset_deleted';
    }
  /** LCH-5: an agent's message, to deliver to the customer once (the platform dedupes on `messageId`). */
  | {
      type: 'chat.message';
      commandId: string;
      sessionId: string;
      messageId: string;
      agentId: string;
      text: string;
    }
  /** An agent's state changed here (by hand, RONA, or while a wrap-up is owed): route accordingly. */
  | {
      type: 'agent.state';
      commandId: string;
      agentId: string;
      state: AgentState;
      at: string;
      /** The chat that caused the change (an offer not taken, a wrap-up owed); null when chosen by hand. */
      sessionId: string | null;
    }
  /**
   * LCH-8: a transfer was requested (to a queue, the platform answers with the agent it picks, echoing
   * `offerId`), then completed (the receiving agent accepted: route the chat to them) or rejected (it
   * stays with `from`). `offerId` names the request throughout.
   */
  | {
      type: 'chat.transfer';
      commandId: string;
      sessionId: string;
      status: 'requested' | 'completed' | 'rejected';
      offerId: string;
      from: string;
      to: TransferTarget;
    }
  /** LCH-9: an invited agent joined the chat (deliver the customer's messages to them too) or left it. */
  | {
      type: 'chat.conference';
      commandId: string;
      sessionId: string;
      agentId: string;
      status: 'joined' | 'left';
    }
  /**
   * NOT-1: an SMS to the agent for an incoming call, once per assignment (`commandId` names the
   * assignment). `to` is the number in the agent's profile: it goes to the platform and nowhere else.
   */
  | {
      type: 'agent.sms';
      commandId: string;
      sessionId: string;
      assignmentId: string;
      agentId: string;
      to: string;
      text: string;
    }
  /**
   * SMA-1, SMA-2: prompt the consumer's mobile SDK for a smart action, once (`commandId` is the
   * request's id); the consumer's answer comes back as a signed result. Media requests take at most
   * `maxFiles` files; the prompt is void after `expiresAt`.
   */
  | {
      type: 'smart_action.request';
      commandId: string;
      sessionId: string;
      requestId: string;
      action: Exclude<SmartAction, 'redact'>;
      maxFiles: number;
      expiresAt: string;
    }
  /** SMA-1 redact: pause the call's recording while sensitive data is shared, then resume it. */
  | {
      type: 'recording.pause' | 'recording.resume';
      commandId: string;
      sessionId: string;
      /** The redaction (its request's id) the pause starts or the resume ends. */
      requestId: string;
    };

export interface PlatformCommands {
  publish(command: PlatformCommand): Promise<void>;
}
