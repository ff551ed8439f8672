import { OffsetFileClock } from '../adapters/clock/offset-file-clock.js';
import type { Config } from '../config.js';
import { systemClock, type Clock } from '../ports/clock.js';

/**
 * The system clock, except on a local stack set up to be moved forward in time (LOCAL_CLOCK_OFFSET_FILE,
 * which config.ts refuses anywhere but on the emulators of a local machine).
 */
export function clockFor(config: Pick<Config, 'localClockOffsetFile'>): Clock {
  return config.localClockOffsetFile ? new OffsetFileClock(config.localClockOffsetFile) : systemClock;
}
