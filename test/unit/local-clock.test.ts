import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clockFor } from '../../functions/src/composition/clock.js';
import { systemClock } from '../../functions/src/ports/clock.js';

/** The functions' clock: the system's, unless a local stack is set up to be moved forward in time. */
const dir = mkdtempSync(join(tmpdir(), 'switchboard-clock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const DAY = 24 * 3_600_000;

describe('the functions’ clock', () => {
  it('when no offset file is configured, then it is the system clock', () => {
    expect(clockFor({ localClockOffsetFile: undefined })).toBe(systemClock);
  });

  it('when the local stack is moved forward, then the next reading is that far ahead, and none before the file exists', () => {
    const file = join(dir, 'offset-ms');
    const clock = clockFor({ localClockOffsetFile: file });
    const ahead = () => clock.now().getTime() - Date.now();

    expect(Math.abs(ahead())).toBeLessThan(1000);
    writeFileSync(file, String(7 * DAY));
    expect(ahead()).toBeGreaterThan(7 * DAY - 1000);
    expect(ahead()).toBeLessThan(7 * DAY + 1000);
    writeFileSync(file, `${8 * DAY}\n`);
    expect(ahead()).toBeGreaterThan(8 * DAY - 1000);
  });

  it('when the file holds anything but a whole, non-negative number of ms, then reading the time fails and says so', () => {
    const file = join(dir, 'garbled');
    const clock = clockFor({ localClockOffsetFile: file });
    for (const text of ['soon', '-5', '1.5', ''])
      expect(() => (writeFileSync(file, text), clock.now())).toThrow(/whole, non-negative number/);
  });
});
