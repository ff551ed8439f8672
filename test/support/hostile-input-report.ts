import type { HostileRequest } from './hostile-requests.js';

/** What the hostile-input suite tried on one route, and what came back. */
export interface RouteTally {
  fn: string;
  route: string;
  sent: number;
  /** Requests from a caller the route lets in that were not answered 401. */
  pastAuthentication: number;
  accepted: number;
  refused: number;
  statuses: Map<number, number>;
  seconds: number;
}

export interface Mishandled {
  route: string;
  index: number;
  credentials: string;
  request: HostileRequest;
  problem: string;
  answer?: string;
}

const describeRequest = (req: HostileRequest) => {
  const body = req.body
    ? ` body(${req.body.length} B): ${JSON.stringify(req.body.subarray(0, 400).toString())}`
    : '';
  return `${req.method} ${req.target.slice(0, 200)} [${req.label}] headers ${JSON.stringify(req.headers)}${body}`;
};

/** One line per route and kind of problem: what a reader needs to see which class of input got through. */
export function kindsOf(
  mishandled: readonly Mishandled[],
): Map<string, { count: number; first: Mishandled }> {
  const kinds = new Map<string, { count: number; first: Mishandled }>();
  for (const m of mishandled) {
    const kind = `${m.route} — ${m.problem}`;
    const seen = kinds.get(kind);
    if (seen) seen.count++;
    else kinds.set(kind, { count: 1, first: m });
  }
  return kinds;
}

/** The table of requests tried per route, then each kind of mishandled request with one to replay. */
export function printReport(seed: number, tallies: readonly RouteTally[], mishandled: readonly Mishandled[]) {
  const total = tallies.reduce((n, t) => n + t.sent, 0);
  const statuses = (t: RouteTally) =>
    [...t.statuses]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
  const widths = [-15, -48, 5, 5, 5, 5, 6, 0];
  const row = (cells: string[]) =>
    cells.map((c, i) => (widths[i]! < 0 ? c.padEnd(-widths[i]!) : c.padStart(widths[i]!))).join(' ');
  const lines = [
    `Hostile input: ${total} requests over ${tallies.length} routes (seed ${seed}).`,
    row(['function', 'route', 'sent', 'in', '2-3xx', '4xx', 'time', 'statuses']),
    ...tallies.map((t) =>
      row([
        t.fn,
        t.route,
        String(t.sent),
        String(t.pastAuthentication),
        String(t.accepted),
        String(t.refused),
        `${t.seconds.toFixed(1)}s`,
        statuses(t),
      ]),
    ),
  ];
  if (mishandled.length > 0) {
    lines.push(`${mishandled.length} hostile requests were mishandled (seed ${seed}):`);
    for (const [kind, { count, first }] of kindsOf(mishandled))
      lines.push(
        `  ${count}× ${kind}`,
        `    e.g. #${first.index} as ${first.credentials}: ${describeRequest(first.request)}`,
        `    answer: ${first.answer ?? ''}`,
      );
  }
  console.log(lines.join('\n'));
}
