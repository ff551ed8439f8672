import { readFileSync } from 'node:fs';
import type { Clock } from '../../ports/clock.js';

/**
 * The local stack's clock, which can be moved forward: this machine's time plus the whole number of
 * milliseconds written in `file` (none while the file does not exist). The local stack's control
 * endpoint writes the file; every process of the stack reads the same one, so that all of them move
 * together. config.ts accepts this clock only in a plainly local process running on the emulators.
 */
export class OffsetFileClock implements Clock {
  constructor(private readonly file: string) {}

  now(): Date {
    return new Date(Date.now() + this.offsetMs());
  }

  /** Read at every reading of the time: a move is seen at once, and a local stack is not busy. */
  private offsetMs(): number {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
    const offset = /^\d{1,15}$/.test(text.trim()) ? Number(text.trim()) : NaN;
    if (!Number.isSafeInteger(offset))
      throw new Error(`${this.file} must hold a whole, non-negative number of milliseconds`);
    return offset;
  }
}
