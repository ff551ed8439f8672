import type { DeletedAsset } from '../../domain/chat/chat.js';
import type { Actor } from '../../domain/access/permissions.js';
import { AppError, notFound } from '../../domain/errors.js';
import type { DeflectionSettingsStore } from '../../ports/deflection-settings.js';
import { deleteQueueSettings } from '../deflection/settings.js';
import { applyChatAction, type ChatDeps } from './chats.js';

/** The most chats one deletion interrupts in one request; a queue has far fewer live at once. */
export const MAX_INTERRUPTED_PER_DELETION = 500;

/**
 * LCH-4: an admin deleted an asset live chats depend on (a queue): each of them is interrupted, with
 * a warning its agents see; ending it is all that is left. A chat already past it is left alone.
 */
export async function interruptChatsOfQueue(deps: ChatDeps, queueId: string): Promise<number> {
  const asset: DeletedAsset = { kind: 'queue', id: queueId };
  const sessionIds = await deps.chats.liveChatsOfQueue(queueId, MAX_INTERRUPTED_PER_DELETION);
  let interrupted = 0;
  for (const sessionId of sessionIds) {
    const at = deps.clock.now().toISOString();
    const outcome = await applyChatAction(deps, sessionId, { type: 'interrupt', asset, at });
    if (outcome.ok) interrupted++;
  }
  return interrupted;
}

/**
 * An admin deletes a queue: it leaves the deflection settings (a new version, so routing and transfer
 * targets drop it at once), then its live chats are interrupted (LCH-4). The queue goes first, so that
 * no chat comes through it after its chats are found; a retry after a failure half-way finds the queue
 * gone and interrupts the chats left, and only when there is nothing left to do is it a 404.
 */
export async function deleteQueue(
  deps: { chat: ChatDeps; settings: DeflectionSettingsStore },
  actor: Actor,
  queueId: string,
): Promise<{ interruptedChats: number }> {
  let existed = true;
  try {
    await deleteQueueSettings(deps.settings, actor, queueId);
  } catch (error) {
    if (!(error instanceof AppError && error.status === 404)) throw error;
    existed = false;
  }
  const interruptedChats = await interruptChatsOfQueue(deps.chat, queueId);
  if (!existed && interruptedChats === 0) throw notFound('The queue');
  return { interruptedChats };
}
