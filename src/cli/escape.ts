// The escape key of the terminal front end (mosh-protocol.md 10.2): Ctrl-^ then "." quits, "^" (or Ctrl-^) sends a
// literal Ctrl-^, Ctrl-Z suspends, anything else sends Ctrl-^ and that byte. MOSH_ESCAPE_KEY picks another key
// (a printable one only counts right after CR or LF; an empty value turns the feature off). Byte handling
// only: it does not know what quitting or suspending means for its caller.

export type EscapeAction =
  { type: 'send'; bytes: Uint8Array } | { type: 'quit' } | { type: 'suspend' } | { type: 'help'; shown: boolean };

const REFUSED = new Set([0x03, 0x04, 0x0a, 0x0c, 0x0d]); // Ctrl-C, Ctrl-D, LF, Ctrl-L, CR

export interface EscapeConfig {
  /** The escape key, or null when disabled. */
  key: number | null;
  /** The key that sends a literal escape key after it. */
  passKey: number;
  passKeyAlt: number;
}

/** Reads MOSH_ESCAPE_KEY as stock does; invalid values fall back to Ctrl-^. */
export function escapeConfig(value: string | undefined): EscapeConfig {
  const dflt: EscapeConfig = { key: 0x1e, passKey: 0x5e, passKeyAlt: 0x5e };
  if (value === undefined) return dflt;
  if (value === '') return { key: null, passKey: 0, passKeyAlt: 0 };
  if (value.length !== 1 || value.charCodeAt(0) > 0x7f || REFUSED.has(value.charCodeAt(0))) return dflt;
  const key = value.charCodeAt(0);
  if (key < 0x20) {
    const pass = key + 0x40;
    return { key, passKey: pass, passKeyAlt: pass >= 0x41 && pass <= 0x5a ? pass + 0x20 : pass };
  }
  return { key, passKey: key, passKeyAlt: key };
}

export class EscapeKeyHandler {
  private pending = false;
  private lastByte = 0x0a; // as if after a newline

  constructor(readonly config: EscapeConfig = escapeConfig(undefined)) {}

  /** Splits typed bytes into what to send and what to do. */
  feed(input: Uint8Array): EscapeAction[] {
    const out: EscapeAction[] = [];
    let run: number[] = [];
    const flush = () => {
      if (run.length) out.push({ type: 'send', bytes: Uint8Array.from(run) });
      run = [];
    };
    const { key, passKey, passKeyAlt } = this.config;
    for (const b of input) {
      if (this.pending) {
        this.pending = false;
        out.push({ type: 'help', shown: false });
        if (b === 0x2e) {
          flush();
          out.push({ type: 'quit' });
          return out; // nothing after a quit is sent
        } else if (b === 0x1a) {
          flush();
          out.push({ type: 'suspend' });
        } else if (b === passKey || b === passKeyAlt || b === key) {
          run.push(key!);
        } else {
          run.push(key!, b);
        }
      } else if (key !== null && b === key && (key < 0x20 || this.lastByte === 0x0a || this.lastByte === 0x0d)) {
        flush();
        this.pending = true;
        out.push({ type: 'help', shown: true });
      } else {
        run.push(b);
      }
      this.lastByte = b;
    }
    flush();
    return out;
  }
}
