/**
 * `npm run bench -- <name…>`: runs the named benchmarks (all when none is named). Each prints JSON
 * lines, one per figure, and compares itself with a baseline measured in the same run.
 */
const benches: Record<string, () => Promise<void>> = {
  events: async () => (await import('./events.js')).run(),
  lists: async () => (await import('./lists.js')).run(),
  deflection: async () => (await import('./deflection.js')).run(),
  hours: async () => (await import('./hours.js')).run(),
  recordings: async () => (await import('./recordings.js')).run(),
  masking: async () => (await import('./masking.js')).run(),
  notifications: async () => (await import('./notifications.js')).run(),
  'cold-start': async () => (await import('./cold-start.js')).run(),
  media: async () => (await import('./media.js')).run(),
};

const names = process.argv.slice(2);
const unknown = names.filter((n) => !(n in benches));
if (unknown.length > 0) {
  console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Known: ${Object.keys(benches).join(', ')}.`);
  process.exit(2);
}
for (const name of names.length > 0 ? names : Object.keys(benches)) await benches[name]!();
process.exit(0);
