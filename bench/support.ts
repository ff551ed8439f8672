import { startFirestoreEmulator, type Emulator } from '../scripts/stack/emulators.js';

/** Prints one machine-readable result line. */
export function report(bench: string, metric: string, value: number, extra: Record<string, unknown> = {}) {
  console.log(JSON.stringify({ bench, metric, value: Number(value.toPrecision(4)), ...extra }));
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** The value below which a fraction `q` of `values` lies, interpolated between the two nearest. */
export const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const below = sorted[Math.floor(at)]!;
  return below + (sorted[Math.ceil(at)]! - below) * (at - Math.floor(at));
};

/** Uses the emulator named by FIRESTORE_EMULATOR_HOST, or starts one for the run. */
export async function withFirestoreEmulator<T>(work: () => Promise<T>): Promise<T> {
  process.env.METADATA_SERVER_DETECTION = 'none';
  let started: Emulator | undefined;
  if (!process.env.FIRESTORE_EMULATOR_HOST) {
    started = await startFirestoreEmulator();
    process.env.FIRESTORE_EMULATOR_HOST = started.host;
  }
  try {
    return await work();
  } finally {
    if (started) {
      delete process.env.FIRESTORE_EMULATOR_HOST;
      await started.stop();
    }
  }
}

/** Runs `task` for each item with at most `limit` in flight. */
export async function pool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await task(items[next++]!);
  });
  await Promise.all(workers);
}
