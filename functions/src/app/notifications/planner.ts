import {
  planNotifications,
  type NotificationPlan,
  type PlanQuestion,
  type PlanSources,
} from '../../domain/notifications/plan.js';
import type { Clock } from '../../ports/clock.js';
import type { NotificationSettingsStore } from '../../ports/notification-settings.js';

/**
 * Plans are asked on every assignment and every chat message: the configuration and the tone library
 * are kept in the instance and reloaded only when an admin saves (the store reports each new version)
 * or, should that signal be lost, after `maxAgeMs`. In steady state a plan reads nothing. A reload
 * that fails leaves the configuration already held in use, and is tried again on the next plan.
 */
export class NotificationPlanner {
  private cached: { sources: PlanSources; version: number; loadedAt: number } | undefined;
  private loading: Promise<void> | undefined;
  private latestVersion = -1;
  private watching: (() => void) | undefined;

  constructor(
    private readonly store: Pick<NotificationSettingsStore, 'load' | 'watchVersion'>,
    private readonly maxAgeMs: number,
    private readonly clock: Clock,
  ) {}

  private stale(): boolean {
    return (
      !this.cached ||
      this.latestVersion > this.cached.version ||
      this.clock.now().getTime() - this.cached.loadedAt > this.maxAgeMs
    );
  }

  private async current(): Promise<PlanSources> {
    this.watching ??= this.store.watchVersion((version) => {
      this.latestVersion = Math.max(this.latestVersion, version);
    });
    if (this.stale()) {
      this.loading ??= (async () => {
        try {
          // One load is one version; an older version than the one held, from a slow load, does not replace it.
          const { config, tones, version } = await this.store.load();
          if (this.cached && version < this.cached.version) return;
          this.cached = { sources: { config, tones }, version, loadedAt: this.clock.now().getTime() };
        } finally {
          this.loading = undefined;
        }
      })();
      try {
        await this.loading;
      } catch (error) {
        // Without anything loaded yet there is nothing to plan from; otherwise the last version serves.
        if (!this.cached) throw error;
      }
    }
    return this.cached!.sources;
  }

  async plan(question: PlanQuestion): Promise<NotificationPlan> {
    return planNotifications(await this.current(), question);
  }
}
