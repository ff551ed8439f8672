import {
  compileDeflection,
  decide,
  type CompiledDeflection,
  type ContactQuestion,
  type Decision,
} from '../../domain/deflection/decide.js';
import { AppError } from '../../domain/errors.js';
import type { DeflectionSettingsStore } from '../../ports/deflection-settings.js';

/**
 * Deflection is asked on every contact: the compiled configuration is kept in the instance and
 * reloaded only when an admin saves (the store reports each new version) or, should that signal be
 * lost, after `maxAgeMs`. In steady state a decision reads nothing.
 */
export class DeflectionEngine {
  private cached: { compiled: CompiledDeflection | undefined; version: number; loadedAt: number } | undefined;
  private loading: Promise<void> | undefined;
  private latestVersion = -1;
  private watching: (() => void) | undefined;
  /** How many times the configuration was read: what the benchmark reports per decision. */
  loads = 0;

  constructor(
    private readonly store: DeflectionSettingsStore,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private stale(): boolean {
    return (
      !this.cached ||
      this.latestVersion > this.cached.version ||
      this.now() - this.cached.loadedAt > this.maxAgeMs
    );
  }

  async compiled(): Promise<CompiledDeflection | undefined> {
    this.watching ??= this.store.watchVersion((version) => {
      this.latestVersion = Math.max(this.latestVersion, version);
    });
    if (this.stale()) {
      this.loading ??= (async () => {
        try {
          this.loads += 1;
          // One load is one version (the store reads every document at one instant); an older version
          // than the one cached, from a slow load, is not allowed to replace it.
          const { config, version } = await this.store.load();
          if (this.cached && version < this.cached.version) return;
          this.cached = {
            compiled: config ? compileDeflection(config) : undefined,
            version,
            loadedAt: this.now(),
          };
        } finally {
          this.loading = undefined;
        }
      })();
      await this.loading;
    }
    return this.cached?.compiled;
  }

  async decide(question: ContactQuestion): Promise<Decision> {
    const compiled = await this.compiled();
    if (!compiled)
      throw new AppError(
        'not_configured',
        409,
        'Business hours and deflection settings have not been set up yet.',
      );
    if (!compiled.queues.has(question.queueId))
      throw new AppError('not_found', 404, `There is no queue ${question.queueId}.`);
    return decide(compiled, question);
  }
}
