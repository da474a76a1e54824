// Predictive local echo at a high RTT: replays keystroke traces (a bash command line with typos, backspaces
// and arrow edits; an editing session in vim; chat-style typing into `cat`) with a human cadence into the
// stock mosh-client and our client (dist/cli.js client) at the same time, each through its own relay (RTT
// 500 ms by default) to its own server of the same kind (stock mosh-server by default), both under node-pty.
// Each client's pty output is rendered into a headless screen and every change is timestamped.
//
// What is measured, per keystroke k (the application run directly on a pty, one key at a time, gives the
// reference screens ref[0..N]; a screen state is the rows' text plus the cursor position):
//  - progress P: the reference the screen shows. At each change of the rendered screen, the first j in
//    [P, keys typed so far] with ref[j] equal to the screen becomes P (a state can repeat, as after "x" and a
//    backspace, so the search goes forward from where the screen was).
//  - shown: key k shows at the first screen change after it was typed that moves P to k or beyond and makes
//    the screen differ from what it was when k was typed. Keys with no effect of their own (ref[k] =
//    ref[k-1]) are not scored. `instant` = shown within 20 ms of the key.
//  - mispredicted: a moment at which the screen shows a cell whose text no reference in ref[P-1 .. typed] has
//    at that place: something the server's screen contradicts, or correct text taken back. Each such episode
//    (from no wrong cell to some) is charged to the key typed last before it; the share is keys charged /
//    keys scored. The cursor alone is not judged here.
// Anchors: the mosh paper (70 % instant, 0.9 % mispredicted). Prints one JSON line per trace and client, a
// comparison line per trace, and totals.
//   node build/bench/predict.js [--rtt 500] [--trace shell,vim,chat] [--server stock|ours] [--predict adaptive]

import { ImpairmentRelay } from '../test/support/relay';
import { type StockServer, startOurServer, startStockServer } from '../test/support/stock';
import {
  type ClientKind,
  nowMs,
  type PredictMode,
  quantile,
  round,
  sameState,
  type ScreenState,
  sleep,
  startClient,
  type TimedClient,
  waitScreen,
} from './lib/harness';
import { encodeKey, referenceScreens, type Trace, traceDir, traces } from './lib/traces';

const argOf = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const RTT = Number(argOf('rtt') ?? 500);
const SERVER = (argOf('server') ?? 'stock') as 'stock' | 'ours';
const PREDICT = (argOf('predict') ?? 'adaptive') as PredictMode;
const ONLY = argOf('trace')?.split(',');
const INSTANT_MS = 20;

interface Episode {
  key: number;
  atMs: number;
  row: number;
  col: number;
  shown: string;
  /** The references the cell was checked against. */
  window: [number, number];
}

class Scorer {
  /** shownAt[k]: when key k's effect first showed (NaN: not yet). Index 0 unused. */
  readonly shownAt: number[];
  readonly typedAt: number[];
  /** The state on screen when key k was typed. */
  readonly stateAtType: (ScreenState | null)[];
  sent = 0;
  private progress = 0;
  private wrongNow = false;
  readonly episodes: Episode[] = [];
  private last: ScreenState | null = null;

  constructor(
    readonly client: TimedClient,
    private readonly refs: ScreenState[],
    private readonly cols: number,
  ) {
    const n = refs.length;
    this.shownAt = new Array<number>(n).fill(NaN);
    this.typedAt = new Array<number>(n).fill(NaN);
    this.stateAtType = new Array<ScreenState | null>(n).fill(null);
  }

  typed(k: number, at: number): void {
    this.sent = k;
    this.typedAt[k] = at;
    this.stateAtType[k] = this.client.state();
  }

  changed(at: number): void {
    const state = this.client.state();
    if (this.last && sameState(this.last, state)) return; // attributes only (e.g. an underline went away)
    this.last = state;
    const refs = this.refs;
    // The screen moves forward through the references (a state can repeat: "x" then a backspace): take the
    // first match at or after the progress so far. A match only behind it (predictions taken back) credits
    // nothing.
    let match = -1;
    for (let j = this.progress; j <= this.sent; j++) {
      if (sameState(state, refs[j])) {
        match = j;
        break;
      }
    }
    if (match >= 0) {
      for (let k = 1; k <= match; k++) {
        if (Number.isNaN(this.shownAt[k]) && !Number.isNaN(this.typedAt[k]) && !sameState(state, this.stateAtType[k]!))
          this.shownAt[k] = at;
      }
      if (match > this.progress) this.progress = match;
    }
    // Wrong cells: text no plausible reference has at that place.
    const lo = Math.max(0, this.progress - 1);
    let wrongRow = -1;
    let wrongCol = -1;
    for (let y = 0; y < state.lines.length && wrongRow < 0; y++) {
      const line = state.lines[y];
      let rowOk = false;
      for (let j = lo; j <= this.sent && !rowOk; j++) rowOk = refs[j].lines[y] === line;
      if (rowOk) continue;
      for (let x = 0; x < this.cols; x++) {
        const ch = line[x] ?? ' ';
        let ok = false;
        for (let j = lo; j <= this.sent && !ok; j++) ok = (refs[j].lines[y][x] ?? ' ') === ch;
        if (!ok) {
          wrongRow = y;
          wrongCol = x;
          break;
        }
      }
    }
    if (wrongRow >= 0 && !this.wrongNow)
      this.episodes.push({
        key: this.sent,
        atMs: at,
        row: wrongRow,
        col: wrongCol,
        shown: state.lines[wrongRow],
        window: [lo, this.sent],
      });
    this.wrongNow = wrongRow >= 0;
  }
}

function summarize(
  trace: Trace,
  s: Scorer,
  refs: ScreenState[],
  finalOk: boolean,
  serverName: string,
): Record<string, unknown> {
  const latencies: number[] = [];
  let noEffect = 0;
  let neverShown = 0;
  const scored = new Set<number>();
  for (let k = 1; k < refs.length; k++) {
    if (sameState(refs[k], refs[k - 1])) {
      noEffect++;
      continue;
    }
    scored.add(k);
    if (Number.isNaN(s.shownAt[k])) neverShown++;
    else latencies.push(s.shownAt[k] - s.typedAt[k]);
  }
  const n = scored.size;
  const instant = latencies.filter((l) => l <= INSTANT_MS).length;
  const charged = new Set(s.episodes.map((e) => e.key).filter((k) => k > 0));
  return {
    bench: 'predict',
    trace: trace.name,
    client: s.client.kind === 'stock' ? 'stock mosh-client' : 'our client (dist/cli.js)',
    server: serverName,
    predict: PREDICT,
    rtt_ms: RTT,
    keys: refs.length - 1,
    keys_scored: n,
    keys_no_effect: noEffect,
    instant_share: round(instant / n, 3),
    mispredicted_share: round(charged.size / n, 4),
    mispredict_episodes: s.episodes.length,
    median_ms: round(quantile(latencies, 0.5)),
    p90_ms: round(quantile(latencies, 0.9)),
    never_shown: neverShown,
    final_screen_ok: finalOk,
    episodes: s.episodes.slice(0, 5).map((e) => ({
      key: e.key,
      label: trace.keys[e.key - 1]?.label ?? '',
      at: [e.row, e.col],
      shown: e.shown,
      refs: e.window,
    })),
  };
}

/** Waits for the application's first screen, sending the trace's setup keys (bounded retries) if it has any. */
export async function reachStart(c: TimedClient, trace: Trace, ref0: ScreenState): Promise<void> {
  await waitScreen(c, (st) => st.lines.some((l) => l !== ''), 15_000, 'the application to start');
  for (let attempt = 0; ; attempt++) {
    if (trace.setup) c.type(trace.setup);
    try {
      await waitScreen(c, (st) => sameState(st, ref0), 3000, 'the initial screen');
      return;
    } catch (e) {
      if (attempt >= 4) throw e;
    }
  }
}

interface Side {
  kind: ClientKind;
  server: StockServer;
  relay: ImpairmentRelay;
  client: TimedClient;
  scorer: Scorer;
  dispose: () => void;
}

async function runTrace(trace: Trace): Promise<Record<string, unknown>[]> {
  const refDir = traceDir(trace);
  let refs: ScreenState[];
  try {
    refs = await referenceScreens(trace, refDir.command);
  } finally {
    refDir.dispose();
  }
  const sides: Side[] = [];
  const serverName = SERVER === 'stock' ? 'stock mosh-server' : 'our server (dist/server.js)';
  try {
    for (const kind of ['stock', 'ours'] as const) {
      const d = traceDir(trace);
      const start = SERVER === 'stock' ? startStockServer : startOurServer;
      const server = await start({ command: d.command });
      const relay = await ImpairmentRelay.start({
        upstreamPort: server.port,
        toServer: { delayMs: RTT / 2 },
        toClient: { delayMs: RTT / 2 },
      });
      const client = startClient({
        kind,
        port: relay.port,
        key: server.key,
        cols: trace.cols,
        rows: trace.rows,
        predict: PREDICT,
      });
      const scorer = new Scorer(client, refs, trace.cols);
      sides.push({ kind, server, relay, client, scorer, dispose: d.dispose });
    }
    await Promise.all(sides.map((s) => reachStart(s.client, trace, refs[0])));
    await sleep(1500); // a few RTT samples
    for (const s of sides) {
      await s.client.settled();
      s.client.onChange = (t) => s.scorer.changed(t);
    }
    const t0 = nowMs();
    let due = t0;
    for (let k = 1; k <= trace.keys.length; k++) {
      const key = trace.keys[k - 1];
      due += key.gapMs;
      const wait = due - nowMs();
      if (wait > 0) await sleep(wait);
      for (const s of sides) {
        await s.client.settled();
      }
      for (const s of sides) {
        const at = nowMs();
        s.scorer.typed(k, at);
        s.client.type(encodeKey(key.data, s.client.screen.term.modes.applicationCursorKeysMode));
      }
    }
    const finalOk = await Promise.all(
      sides.map((s) =>
        waitScreen(s.client, (st) => sameState(st, refs[refs.length - 1]), 8000, 'the final screen').then(
          () => true,
          (e: Error) => (console.error(e.message), false),
        ),
      ),
    );
    return sides.map((s, i) => summarize(trace, s.scorer, refs, finalOk[i], serverName));
  } finally {
    await Promise.all(sides.map((s) => s.client.stop()));
    for (const s of sides) {
      await s.relay.close();
      s.server.kill();
      s.dispose();
    }
  }
}

async function main(): Promise<void> {
  const all = traces().filter((t) => !ONLY || ONLY.includes(t.name));
  const totals: Record<string, { n: number; instant: number; charged: number }> = {};
  for (const t of all) {
    const results = await runTrace(t);
    for (const r of results) {
      console.log(JSON.stringify(r));
      const k = r.client as string;
      const tot = (totals[k] ??= { n: 0, instant: 0, charged: 0 });
      const n = r.keys_scored as number;
      tot.n += n;
      tot.instant += Math.round((r.instant_share as number) * n);
      tot.charged += Math.round((r.mispredicted_share as number) * n);
    }
    const [stock, ours] = results;
    console.log(
      JSON.stringify({
        bench: 'predict',
        trace: t.name,
        case: 'ours vs stock',
        instant_share: { ours: ours.instant_share, stock: stock.instant_share },
        mispredicted_share: { ours: ours.mispredicted_share, stock: stock.mispredicted_share },
        ours_not_worse:
          (ours.instant_share as number) >= (stock.instant_share as number) &&
          (ours.mispredicted_share as number) <= (stock.mispredicted_share as number),
      }),
    );
  }
  const line = (name: string) => {
    const t = totals[name];
    return t
      ? { keys_scored: t.n, instant_share: round(t.instant / t.n, 3), mispredicted_share: round(t.charged / t.n, 4) }
      : null;
  };
  console.log(
    JSON.stringify({
      bench: 'predict',
      case: 'all traces',
      rtt_ms: RTT,
      stock: line('stock mosh-client'),
      ours: line('our client (dist/cli.js)'),
      goal: { instant_share_at_least: 0.8, mispredicted_share_at_most: 0.005, never_worse_than_stock: true },
      anchor_mosh_paper: { instant_share: 0.7, mispredicted_share: 0.009 },
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
