import {
  compileDeflection,
  decide,
  type CompiledDeflection,
  type ContactQuestion,
  type Decision,
} from '../../domain/deflection/decide.js';
import { conflict, notFound } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
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

  constructor(
    private readonly store: DeflectionSettingsStore,
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

  private async current(): Promise<CompiledDeflection | undefined> {
    this.watching ??= this.store.watchVersion((version) => {
      this.latestVersion = Math.max(this.latestVersion, version);
    });
    if (this.stale()) {
      this.loading ??= (async () => {
        try {
          // One load is one version (the store reads every document at one instant); an older version
          // than the one cached, from a slow load, is not allowed to replace it.
          const { config, version } = await this.store.load();
          if (this.cached && version < this.cached.version) return;
          this.cached = {
            compiled: config ? compileDeflection(config) : undefined,
            version,
            loadedAt: this.clock.now().getTime(),
          };
        } finally {
          this.loading = undefined;
        }
      })();
      await this.loading;
    }
    return this.cached?.compiled;
  }

  /** The compiled configuration; until an admin has set it up, the 409 every deflection route answers. */
  async compiled(): Promise<CompiledDeflection> {
    const compiled = await this.current();
    if (!compiled)
      throw conflict('not_configured', 'Business hours and deflection settings have not been set up yet.');
    return compiled;
  }

  /** A queue's channels as configured now; undefined when there is no such queue, or no configuration yet. */
  async queueChannels(queueId: string): Promise<readonly string[] | undefined> {
    return (await this.current())?.queues.get(queueId)?.channels;
  }

  async decide(question: ContactQuestion): Promise<Decision> {
    const compiled = await this.compiled();
    if (!compiled.queues.has(question.queueId)) throw notFound(`The queue ${question.queueId}`);
    return decide(compiled, question);
  }
}
