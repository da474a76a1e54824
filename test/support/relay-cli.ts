// Command-line wrapper around ImpairmentRelay for benchmarks and demos (a separate process):
//   node build/test/support/relay-cli.js --listen 0 --to 60001 --delay 125 --jitter 10 --loss 0.1
// Link options apply to both directions; `--to-server-<name>` / `--to-client-<name>` override one direction.
// stdout is JSON lines: first {"port":N,"sourcePort":M,"seed":S} when ready; {"event":"rebind","sourcePort":M}
// after each rebind; the stats object ({"toServer":{..},"toClient":{..},"rebinds":n,"seed":S}) on exit.
// Signals: SIGUSR1 = rebind, SIGUSR2 = print stats, SIGTERM/SIGINT = print stats and exit 0.
// With --control-stdin, stdin takes JSON lines ({"set":"both","params":{"loss":0.2}}, {"rebind":true},
// {"stats":true}, {"close":true}) and EOF on stdin exits. It exits by itself after --max-seconds (default
// 600, 0 = never) or when its parent process dies. Not a library: tests import ./relay directly.
import { createInterface } from 'node:readline';
import { DEFAULT_LINK_PARAMS, ImpairmentRelay, type Direction, type LinkParams } from './relay';

const LINK_OPTIONS: Record<string, keyof LinkParams> = {
  delay: 'delayMs',
  jitter: 'jitterMs',
  loss: 'loss',
  duplicate: 'duplicate',
  reorder: 'reorder',
  'reorder-extra': 'reorderExtraMs',
  rate: 'rateBytesPerSec',
  'queue-limit': 'queueLimitBytes',
  blackhole: 'blackhole',
};

const USAGE = `usage: relay-cli --to PORT [--to-host H] [--listen PORT] [--listen-host H] [--seed N]
  [--rebind-grace MS] [--max-seconds S] [--control-stdin]
  link options (both directions; prefix with to-server- / to-client- for one direction):
  ${Object.keys(LINK_OPTIONS)
    .map((k) => `--${k}${k === 'blackhole' ? '[=true|false]' : ' N'}`)
    .join(' ')}
  units: delay/jitter/reorder-extra in ms, loss/duplicate/reorder in 0..1, rate/queue-limit in bytes/s and bytes`;

export interface CliConfig {
  listenPort: number;
  listenHost?: string;
  upstreamPort: number;
  upstreamHost?: string;
  seed?: number;
  rebindGraceMs?: number;
  maxSeconds: number;
  controlStdin: boolean;
  toServer: Partial<LinkParams>;
  toClient: Partial<LinkParams>;
}

/** Parses the command line; throws an Error with a readable message on bad input. */
export function parseCliArgs(argv: string[]): CliConfig {
  const cfg: CliConfig = {
    listenPort: 0,
    upstreamPort: -1,
    maxSeconds: 600,
    controlStdin: false,
    toServer: {},
    toClient: {},
  };
  const both: Partial<LinkParams> = {};
  const number = (name: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || v === '' || !Number.isFinite(n))
      throw new Error(`--${name} needs a number (got ${String(v)})`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq >= 0 ? eq : undefined);
    const inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string | undefined => (inline !== undefined ? inline : argv[++i]);

    let target: Partial<LinkParams> | undefined;
    let linkName = name;
    if (name.startsWith('to-server-')) [target, linkName] = [cfg.toServer, name.slice('to-server-'.length)];
    else if (name.startsWith('to-client-')) [target, linkName] = [cfg.toClient, name.slice('to-client-'.length)];
    else if (name in LINK_OPTIONS) target = both;
    if (target) {
      const key = LINK_OPTIONS[linkName];
      if (!key) throw new Error(`unknown option --${name}`);
      if (key === 'blackhole') {
        if (inline === undefined || inline === 'true') target.blackhole = true;
        else if (inline === 'false') target.blackhole = false;
        else throw new Error(`--${name} takes =true or =false`);
      } else {
        target[key] = number(name, value());
      }
      continue;
    }
    switch (name) {
      case 'listen':
        cfg.listenPort = number(name, value());
        break;
      case 'listen-host':
        cfg.listenHost = value();
        break;
      case 'to':
        cfg.upstreamPort = number(name, value());
        break;
      case 'to-host':
        cfg.upstreamHost = value();
        break;
      case 'seed':
        cfg.seed = number(name, value());
        break;
      case 'rebind-grace':
        cfg.rebindGraceMs = number(name, value());
        break;
      case 'max-seconds':
        cfg.maxSeconds = number(name, value());
        break;
      case 'control-stdin':
        cfg.controlStdin = true;
        break;
      case 'help':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown option --${name}`);
    }
  }
  if (!(cfg.upstreamPort > 0 && cfg.upstreamPort < 65536)) throw new Error(`--to PORT is required\n${USAGE}`);
  cfg.toServer = { ...both, ...cfg.toServer };
  cfg.toClient = { ...both, ...cfg.toClient };
  return cfg;
}

function line(obj: unknown): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

async function main(): Promise<void> {
  let cfg: CliConfig;
  try {
    cfg = parseCliArgs(process.argv.slice(2));
  } catch (err) {
    const message = (err as Error).message;
    if (message === USAGE) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    process.stderr.write(`relay-cli: ${message}\n`);
    process.exit(2);
  }
  const relay = await ImpairmentRelay.start({
    upstreamPort: cfg.upstreamPort,
    upstreamHost: cfg.upstreamHost,
    listenPort: cfg.listenPort,
    listenHost: cfg.listenHost,
    seed: cfg.seed,
    rebindGraceMs: cfg.rebindGraceMs,
    toServer: cfg.toServer,
    toClient: cfg.toClient,
  });
  const stats = (): object => ({ ...relay.stats, seed: relay.seed });
  let stopping = false;
  let pendingRebinds: Promise<void> = Promise.resolve();
  const timers: NodeJS.Timeout[] = [];
  const shutdown = (code: number): void => {
    if (stopping) return;
    stopping = true;
    timers.forEach(clearTimeout);
    // Rebinds already asked for finish first, so the stats line is always the last line.
    void pendingRebinds
      .then(() => line(stats()))
      .then(() => relay.close())
      .finally(() => process.exit(code));
  };
  const rebind = (): void => {
    if (stopping) return;
    pendingRebinds = pendingRebinds.then(() =>
      relay.rebind().then(
        (sourcePort) => line({ event: 'rebind', sourcePort }),
        (err: Error) => line({ event: 'error', message: err.message }),
      ),
    );
  };

  process.on('SIGUSR1', rebind);
  process.on('SIGUSR2', () => line(stats()));
  process.on('SIGTERM', () => shutdown(0));
  process.on('SIGINT', () => shutdown(0));

  if (cfg.maxSeconds > 0) timers.push(setTimeout(() => shutdown(0), cfg.maxSeconds * 1000));
  const parent = process.ppid;
  const orphanCheck = setInterval(() => {
    if (process.ppid !== parent) shutdown(0);
  }, 1000);
  orphanCheck.unref();
  timers.push(orphanCheck);

  if (cfg.controlStdin) {
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (text) => {
      if (text.trim() === '') return;
      try {
        const cmd = JSON.parse(text) as {
          set?: Direction | 'both';
          params?: Partial<LinkParams>;
          rebind?: boolean;
          stats?: boolean;
          close?: boolean;
        };
        if (cmd.set) {
          relay.set(cmd.set, cmd.params ?? {});
          line({
            event: 'set',
            direction: cmd.set,
            toServer: relay.params('toServer'),
            toClient: relay.params('toClient'),
          });
        }
        if (cmd.rebind) rebind();
        if (cmd.stats) line(stats());
        if (cmd.close) shutdown(0);
      } catch (err) {
        line({ event: 'error', message: (err as Error).message });
      }
    });
    rl.on('close', () => shutdown(0));
  }

  line({ port: relay.port, sourcePort: relay.sourcePort, seed: relay.seed });
}

if (require.main === module) {
  main().catch((err: Error) => {
    process.stderr.write(`relay-cli: ${err.message}\n`);
    process.exit(1);
  });
}

// Keep the defaults discoverable for callers that build command lines.
export { DEFAULT_LINK_PARAMS };
