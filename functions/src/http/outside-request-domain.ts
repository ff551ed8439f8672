import type { Domain } from 'node:domain';

/**
 * Runs `work` with no active domain, and everything it starts (streams, sockets, timers, promises)
 * likewise.
 *
 * The functions framework runs each request in a `domain`, only to answer 500 should a callback throw.
 * Every asynchronous resource created in a domain is tagged with it, and every callback of it enters
 * and leaves the domain, which resets the process's uncaught-exception capture each time. Streaming a
 * 50 MB part is tens of thousands of such callbacks (socket reads and writes, stream ticks): measured
 * at about a third of the recording worker's CPU. The router's handlers report their failures through
 * their promise, which it turns into an answer, so the domain adds nothing there.
 */
export function outsideRequestDomain<T>(work: () => Promise<T>): Promise<T> {
  const active = (process as { domain?: Domain | null }).domain;
  if (!active) return work();
  active.exit();
  try {
    return work();
  } finally {
    active.enter();
  }
}
