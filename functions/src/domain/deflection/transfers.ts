import { isOpen } from '../hours/evaluate.js';
import type { Channel, Kind } from '../sessions/events.js';
import { hoursFor, type CompiledDeflection } from './decide.js';

/**
 * The queues an agent may transfer a call (AHD-4) or a chat (AHD-7) to. A queue inside its hours is
 * always listed. Outside its hours, and only when the admin allows transfers outside business hours:
 * - listed if its contacts would be deflected (deflection is on for this kind of contact),
 * - listed if a virtual agent answers it around the clock,
 * - listed if it has no deflection but agents are logged in to take the transfer,
 * - never listed if its virtual agent keeps to the queue's hours, whatever the rest says.
 * For chats the allowance applies only while chat deflection is off (AHD-7); with it on, after-hours
 * queues would only deflect the chat, so none is listed.
 */
export type TransferReason =
  | 'inside_hours'
  | 'after_hours_deflection_on'
  | 'after_hours_agents_logged_in'
  | 'after_hours_virtual_agent_24h';

export interface TransferTarget {
  queueId: string;
  name: string;
  menuPath: string[];
  reason: TransferReason;
}

export interface TransferQuestion {
  kind: Kind;
  channel: Channel;
  language: string;
  at: number;
  /** The queue the session is in: not a target. */
  fromQueueId?: string;
}

export function transferTargets(
  compiled: CompiledDeflection,
  question: TransferQuestion,
  loggedInAgents: (queueId: string) => number,
): TransferTarget[] {
  const { config } = compiled;
  const allowAfterHours =
    question.kind === 'call'
      ? config.call.allowTransfersOutsideHours
      : !config.chat.afterHoursDeflection && config.chat.allowTransfersOutsideHoursWhenOff;
  const deflectionOn =
    question.kind === 'call' ? config.call.afterHoursDeflection : config.chat.afterHoursDeflection;
  const targets: TransferTarget[] = [];
  for (const [queueId, queue] of compiled.queues) {
    if (queueId === question.fromQueueId || !queue.channels.includes(question.channel)) continue;
    const target = (reason: TransferReason) =>
      targets.push({ queueId, name: queue.name, menuPath: queue.menuPath, reason });
    if (
      isOpen(
        hoursFor(compiled, { queueId, channel: question.channel, language: question.language }).schedule,
        question.at,
      )
    ) {
      target('inside_hours');
      continue;
    }
    if (!allowAfterHours || queue.virtualAgent === 'queue_hours') continue;
    if (queue.virtualAgent === 'always') target('after_hours_virtual_agent_24h');
    else if (deflectionOn) target('after_hours_deflection_on');
    else if (loggedInAgents(queueId) > 0) target('after_hours_agents_logged_in');
  }
  return targets.sort((a, b) => a.menuPath.join(' > ').localeCompare(b.menuPath.join(' > ')));
}
