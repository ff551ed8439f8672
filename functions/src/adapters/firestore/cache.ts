import type { Clock } from '../../ports/clock.js';

/**
 * A value per key, kept for `ttlMs` in this instance: directory data (roles, queue teams) changes
 * rarely and is read on every request. A failed load is not kept.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: Promise<V>; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly clock: Clock,
  ) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && hit.expires > this.clock.now().getTime()) return hit.value;
    const value = load();
    if (this.ttlMs > 0) {
      this.entries.set(key, { value, expires: this.clock.now().getTime() + this.ttlMs });
      value.catch(() => this.entries.delete(key));
    }
    return value;
  }

  /** Drops the value, so that the next `get` loads it again: a change made on this instance. */
  forget(key: string): void {
    this.entries.delete(key);
  }
}
