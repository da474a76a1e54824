// Command line of our mosh-server, compatible with stock (mosh-protocol.md section 10.1):
//   mosh-server new [-s] [-v] [-i LOCALADDR] [-p PORT[:PORT2]] [-c COLORS] [-l NAME=VALUE] [-- COMMAND...]
// Parsing only: no side effects, no process handling.

export const PORT_RANGE_LOW = 60001;
export const PORT_RANGE_HIGH = 60999;

export interface ServerArgs {
  verbose: number;
  /** Address to prefer when binding (from -i, or from SSH_CONNECTION with -s). */
  bindIp?: string;
  /** -s was given but SSH_CONNECTION had no local address: a warning for the user. */
  warning?: string;
  ports: [number, number];
  colors?: number;
  /** -l NAME=VALUE locale settings, applied if our own locale is not UTF-8. */
  locale: Record<string, string>;
  /** Command after `--`, or undefined for the login shell. */
  command?: string[];
}

export type ParseResult =
  { kind: 'new'; args: ServerArgs } | { kind: 'help' } | { kind: 'version' } | { kind: 'error'; message: string };

export const USAGE =
  'Usage: mosh-server new [-s] [-v] [-i LOCALADDR] [-p PORT[:PORT2]] [-c COLORS] [-l NAME=VALUE] [-- COMMAND...]';

/** Parses "PORT" or "LOW:HIGH" (0 = any free port; a range may not start at 0). */
export function parsePortRange(spec: string): [number, number] | null {
  const m = /^(\d{1,5})(?::(\d{1,5}))?$/.exec(spec);
  if (!m) return null;
  const low = Number(m[1]);
  const high = m[2] === undefined ? low : Number(m[2]);
  if (low > 65535 || high > 65535 || high < low) return null;
  if (m[2] !== undefined && low === 0) return null;
  return [low, high];
}

export function parseServerArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ParseResult {
  if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help' };
  if (argv.includes('--version')) return { kind: 'version' };
  const dashdash = argv.indexOf('--');
  const opts = dashdash >= 0 ? argv.slice(0, dashdash) : argv.slice();
  const command = dashdash >= 0 ? argv.slice(dashdash + 1) : undefined;
  if (command !== undefined && command.length === 0) return { kind: 'error', message: 'No command given after "--".' };

  const args: ServerArgs = { verbose: 0, ports: [PORT_RANGE_LOW, PORT_RANGE_HIGH], locale: {}, command };
  // Legacy forms: `mosh-server`, `mosh-server IP`, `mosh-server IP PORT`.
  if (opts.length === 0 || opts[0] !== 'new') {
    if (opts.length > 2) return { kind: 'error', message: USAGE };
    if (opts[0]) args.bindIp = opts[0];
    if (opts[1]) {
      const r = parsePortRange(opts[1]);
      if (!r) return { kind: 'error', message: `Bad UDP port (${opts[1]}).` };
      args.ports = r;
    }
    return { kind: 'new', args };
  }

  for (let i = 1; i < opts.length; i++) {
    const o = opts[i];
    const value = (): string | null => {
      if (o.length > 2) return o.slice(2);
      i++;
      return i < opts.length ? opts[i] : null;
    };
    switch (o.slice(0, 2)) {
      case '-s': {
        const local = (env.SSH_CONNECTION ?? '').trim().split(/\s+/)[2];
        if (local) args.bindIp = local.replace(/^::ffff:/, '');
        else args.warning = 'Warning: SSH_CONNECTION not found; binding to any interface.';
        break;
      }
      case '-v':
        args.verbose += Math.max(1, o.length - 1);
        break;
      case '-i': {
        const v = value();
        if (v === null) return { kind: 'error', message: '-i needs an address.' };
        args.bindIp = v;
        break;
      }
      case '-p': {
        const v = value();
        const r = v === null ? null : parsePortRange(v);
        if (!r) return { kind: 'error', message: `Bad UDP port range (${v ?? ''}). Use PORT or LOW:HIGH.` };
        args.ports = r;
        break;
      }
      case '-c': {
        const v = value();
        const n = v === null ? NaN : Number(v);
        if (!Number.isInteger(n) || n < 0) return { kind: 'error', message: `Bad number of colors (${v ?? ''}).` };
        args.colors = n;
        break;
      }
      case '-l': {
        const v = value();
        const eq = v?.indexOf('=') ?? -1;
        if (v === null || eq <= 0) return { kind: 'error', message: `-l needs NAME=VALUE (got "${v ?? ''}").` };
        args.locale[v.slice(0, eq)] = v.slice(eq + 1);
        break;
      }
      case '-@':
        value(); // ignored, swallows its argument (as stock)
        break;
      default:
        // Stock prints the usage for an unknown option and carries on.
        args.warning = `${args.warning ? args.warning + '\n' : ''}Unknown option ${o} ignored.\n${USAGE}`;
    }
  }
  return { kind: 'new', args };
}
