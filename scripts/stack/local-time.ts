import { renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * What moves forward with the local stack besides the functions: our Cloud Tasks, CRM and Storage
 * servers (the last stamps objects with the time the functions compare against their deadlines).
 */
export interface MovableInTime {
  advanceTime(ms: number): void;
}

/** One move forward at most (Cloud Tasks schedules at most 30 days ahead), and ten years in all. */
export const MAX_MOVE_MS = 30 * 24 * 3_600_000;
const MAX_OFFSET_MS = 10 * 365 * 24 * 3_600_000;

/**
 * The local stack's time: this machine's, moved forward by hand. The functions read the offset from
 * `offsetFile` (LOCAL_CLOCK_OFFSET_FILE, the clock that functions/src/composition/clock.ts picks
 * there); the local servers are told directly. It starts at the machine's time, and only moves forward:
 * nothing in the stack expects time to go back.
 */
export class LocalTime {
  private offsetMs = 0;

  constructor(
    private readonly offsetFile: string,
    private readonly servers: MovableInTime[],
  ) {
    rmSync(offsetFile, { force: true });
  }

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  offset(): number {
    return this.offsetMs;
  }

  /** The functions first (the file), then the servers, whose due tasks then find the functions moved. */
  advance(ms: number): void {
    if (!Number.isSafeInteger(ms) || ms <= 0 || ms > MAX_MOVE_MS)
      throw new RangeError(`time moves forward by 1 ms to 30 days at a time`);
    if (this.offsetMs + ms > MAX_OFFSET_MS)
      throw new RangeError('the local stack moves at most ten years ahead');
    this.offsetMs += ms;
    // Written whole, then renamed: a function reading the time never sees half a number.
    const written = `${this.offsetFile}.${process.pid}.tmp`;
    writeFileSync(written, String(this.offsetMs));
    renameSync(written, this.offsetFile);
    for (const server of this.servers) server.advanceTime(ms);
  }

  /** Back to the machine's time for whoever starts the stack next. */
  forget(): void {
    rmSync(this.offsetFile, { force: true });
  }
}
