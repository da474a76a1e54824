// A byte-level VT parser (the state machine of DEC's VT500, as xterm.js implements it) that decodes UTF-8 and hands
// printable text, C0 controls and complete escape, CSI and OSC sequences to a target. It is the front half of the
// client's framebuffer (framebuffer.ts), tuned for what a mosh server sends: long runs of printable ASCII go to
// the target in one call, and nothing is allocated per character. It knows no screen semantics; DCS, SOS, PM and
// APC strings are skipped whole; everything it holds is bounded (parameters, OSC payloads).

/** Most CSI parameters kept (more are ignored, as xterm does). */
export const MAX_PARAMS = 32;
/** Largest parameter value (xterm's cap). */
const MAX_PARAM_VALUE = 0x7fffffff;

/** What the parser drives. */
export interface VtTarget {
  /** Printable ASCII bytes data[start..end) (0x20-0x7e). */
  printAscii(data: Uint8Array, start: number, end: number): void;
  /** One printable code point beyond ASCII (U+00A0 and up, or U+FFFD for bad UTF-8). */
  printCodePoint(cp: number): void;
  /** A C0 control (BEL, BS, HT, LF, VT, FF, CR, SO, SI, ...). */
  execute(code: number): void;
  /** `CSI [prefix] params [intermediates] final`; `params` holds `count` values (-1: omitted), `sub` marks values after ':'. */
  csi(prefix: number, params: Int32Array, sub: Uint8Array, count: number, intermediates: number, final: number): void;
  /** `ESC [intermediates] final`. */
  esc(intermediates: number, final: number): void;
  /** A complete OSC: its number (-1 if none) and the text after `;` (UTF-8), at most oscLimit bytes of it (`cut` if longer). */
  osc(ident: number, data: string, cut: boolean): void;
  /** Longest OSC payload kept for `ident` (bytes); the rest is dropped as it arrives. */
  oscLimit(ident: number): number;
}

const enum State {
  Ground,
  Escape,
  EscapeIntermediate,
  CsiEntry,
  CsiParam,
  CsiIntermediate,
  CsiIgnore,
  Osc,
  /** DCS, SOS, PM, APC: skipped until ST (ESC), CAN or SUB. */
  SkipString,
}

export class VtParser {
  private state = State.Ground;
  private readonly params = new Int32Array(MAX_PARAMS);
  private readonly sub = new Uint8Array(MAX_PARAMS);
  private count = 0;
  private prefix = 0;
  private intermediates = 0;
  // UTF-8 decoding across calls
  private utf8Need = 0;
  private utf8Cp = 0;
  private utf8Min = 0;
  // OSC collection
  private oscIdent = -1;
  private oscIdentDone = false;
  private oscBytes: number[] = [];
  private oscLimit = 0;
  private oscOverflow = false;

  constructor(private readonly t: VtTarget) {}

  write(data: Uint8Array): void {
    const t = this.t;
    const n = data.length;
    let i = 0;
    while (i < n) {
      const b = data[i];
      if (this.state === State.Ground) {
        if (this.utf8Need > 0) {
          i = this.continueUtf8(data, i);
          continue;
        }
        if (b >= 0x20 && b < 0x7f) {
          let j = i + 1;
          while (j < n) {
            const c = data[j];
            if (c < 0x20 || c >= 0x7f) break;
            j++;
          }
          t.printAscii(data, i, j);
          i = j;
          continue;
        }
        if (b < 0x20) {
          if (b === 0x1b) {
            if (i + 1 < n && data[i + 1] === 0x5b) {
              // ESC [ (the usual way in): straight to the CSI entry state
              this.enterCsi();
              i += 2;
              continue;
            }
            this.enterEscape();
          } else t.execute(b);
          i++;
          continue;
        }
        if (b === 0x7f) {
          i++;
          continue;
        }
        i = this.startUtf8(data, i);
        continue;
      }
      if (this.state === State.CsiParam || this.state === State.CsiEntry) {
        // Parameter bytes (digits and ';') are by far the most common inside a sequence: handled inline, the
        // parameter being read kept in a local and stored when it ends (what step does for each of them).
        const params = this.params;
        let count = this.count;
        let v = count > 0 && count <= MAX_PARAMS ? params[count - 1] : -1;
        let c = b;
        const start = i;
        while (c >= 0x30 && c <= 0x3b && c !== 0x3a) {
          if (count === 0) {
            count = 1;
            this.sub[0] = 0;
          }
          if (c === 0x3b) {
            if (count <= MAX_PARAMS) params[count - 1] = v;
            if (count < MAX_PARAMS) this.sub[count] = 0;
            count++;
            v = -1;
          } else {
            const next = (v < 0 ? 0 : v) * 10 + (c - 0x30);
            v = next > MAX_PARAM_VALUE ? MAX_PARAM_VALUE : next;
          }
          if (++i >= n) break;
          c = data[i];
        }
        if (i > start) {
          if (count <= MAX_PARAMS) params[count - 1] = v;
          this.count = count;
          this.state = State.CsiParam;
          if (i >= n) return;
        }
        if (c >= 0x40 && c < 0x7f) {
          // The final byte (what step does for it in these states)
          t.csi(this.prefix, this.params, this.sub, Math.min(this.count, MAX_PARAMS), this.intermediates, c);
          this.toGround();
        } else this.step(c);
        i++;
        continue;
      }
      this.step(b);
      i++;
    }
  }

  /** A lead byte at data[i] in the ground state; returns the next index. */
  private startUtf8(data: Uint8Array, i: number): number {
    const b = data[i];
    if (b >= 0xc2 && b <= 0xdf) {
      this.utf8Need = 1;
      this.utf8Cp = b & 0x1f;
      this.utf8Min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      this.utf8Need = 2;
      this.utf8Cp = b & 0x0f;
      this.utf8Min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      this.utf8Need = 3;
      this.utf8Cp = b & 0x07;
      this.utf8Min = 0x10000;
    } else {
      this.codePoint(0xfffd); // a stray continuation byte or an invalid lead byte
      return i + 1;
    }
    return this.continueUtf8(data, i + 1);
  }

  private continueUtf8(data: Uint8Array, i: number): number {
    const n = data.length;
    while (this.utf8Need > 0 && i < n) {
      const c = data[i];
      if ((c & 0xc0) !== 0x80) {
        // Truncated sequence: one replacement character, then this byte starts afresh.
        this.utf8Need = 0;
        this.codePoint(0xfffd);
        return i;
      }
      this.utf8Cp = (this.utf8Cp << 6) | (c & 0x3f);
      this.utf8Need--;
      i++;
    }
    if (this.utf8Need === 0) {
      const cp = this.utf8Cp;
      this.codePoint(cp < this.utf8Min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? 0xfffd : cp);
    }
    return i;
  }

  /** A decoded code point >= 0x80 in the ground state: C1 controls act as their 7-bit forms (as in xterm). */
  private codePoint(cp: number): void {
    if (cp >= 0xa0) return this.t.printCodePoint(cp);
    if (cp === 0x9b) this.enterCsi();
    else if (cp === 0x9d) this.enterOsc();
    else if (cp === 0x90 || cp === 0x98 || cp === 0x9e || cp === 0x9f) this.state = State.SkipString;
    else if (cp === 0x84)
      this.t.esc(0, 0x44); // IND
    else if (cp === 0x85)
      this.t.esc(0, 0x45); // NEL
    else if (cp === 0x8d) this.t.esc(0, 0x4d); // RI
    // other C1 controls: ignored
  }

  private enterEscape(): void {
    this.state = State.Escape;
    this.intermediates = 0;
  }

  private enterCsi(): void {
    this.state = State.CsiEntry;
    this.count = 0;
    this.prefix = 0;
    this.intermediates = 0;
  }

  private enterOsc(): void {
    this.state = State.Osc;
    this.oscIdent = -1;
    this.oscIdentDone = false;
    this.oscBytes.length = 0;
    this.oscOverflow = false;
    this.oscLimit = 0;
  }

  /** One byte in any state but the ground state. */
  private step(b: number): void {
    const t = this.t;
    switch (this.state) {
      case State.Escape:
      case State.EscapeIntermediate:
        if (b === 0x1b) return this.enterEscape();
        if (b < 0x20) return b === 0x18 || b === 0x1a ? this.toGround() : t.execute(b);
        if (b < 0x30) {
          this.intermediates = (this.intermediates << 8) | b;
          this.state = State.EscapeIntermediate;
          return;
        }
        if (this.state === State.Escape) {
          if (b === 0x5b) return this.enterCsi();
          if (b === 0x5d) return this.enterOsc();
          if (b === 0x50 || b === 0x58 || b === 0x5e || b === 0x5f) {
            this.state = State.SkipString;
            return;
          }
        }
        if (b < 0x7f) t.esc(this.intermediates, b);
        this.toGround();
        return;
      case State.CsiEntry:
      case State.CsiParam:
        if (b >= 0x30 && b <= 0x39) {
          if (this.count === 0) this.newParam(false);
          const k = this.count - 1;
          if (k < MAX_PARAMS) {
            const v = this.params[k];
            const next = (v < 0 ? 0 : v) * 10 + (b - 0x30);
            this.params[k] = next > MAX_PARAM_VALUE ? MAX_PARAM_VALUE : next;
          }
          this.state = State.CsiParam;
          return;
        }
        if (b === 0x3b || b === 0x3a) {
          if (this.count === 0) this.newParam(false);
          this.newParam(b === 0x3a);
          this.state = State.CsiParam;
          return;
        }
        if (b >= 0x3c && b <= 0x3f) {
          if (this.state === State.CsiEntry && this.prefix === 0) this.prefix = b;
          else this.state = State.CsiIgnore;
          return;
        }
        return this.csiTail(b);
      case State.CsiIntermediate:
        return this.csiTail(b);
      case State.CsiIgnore:
        if (b === 0x1b) return this.enterEscape();
        if (b < 0x20) return b === 0x18 || b === 0x1a ? this.toGround() : t.execute(b);
        if (b >= 0x40 && b < 0x7f) this.toGround();
        return;
      case State.Osc:
        if (b === 0x07) return this.endOsc(true);
        if (b === 0x1b) {
          this.endOsc(true); // ESC ends the string (the `\` of ST then does nothing)
          return this.enterEscape();
        }
        if (b === 0x18 || b === 0x1a) return this.endOsc(false);
        if (b < 0x20) return; // other controls are ignored inside an OSC
        this.oscPut(b);
        return;
      case State.SkipString:
        if (b === 0x1b) return this.enterEscape();
        if (b === 0x18 || b === 0x1a || b === 0x9c) this.toGround();
        return;
      default:
        this.toGround();
    }
  }

  /** Controls, intermediates and the final byte of a CSI sequence (any state after its entry). */
  private csiTail(b: number): void {
    const t = this.t;
    if (b < 0x20) {
      if (b === 0x1b) return this.enterEscape();
      return b === 0x18 || b === 0x1a ? this.toGround() : t.execute(b);
    }
    if (b < 0x30) {
      this.intermediates = (this.intermediates << 8) | b;
      this.state = State.CsiIntermediate;
      return;
    }
    if (b >= 0x40 && b < 0x7f) {
      t.csi(this.prefix, this.params, this.sub, Math.min(this.count, MAX_PARAMS), this.intermediates, b);
      this.toGround();
      return;
    }
    if (b === 0x7f) return;
    this.state = State.CsiIgnore; // a parameter byte after an intermediate, or a byte >= 0x80
  }

  private newParam(sub: boolean): void {
    if (this.count < MAX_PARAMS) {
      this.params[this.count] = -1;
      this.sub[this.count] = sub ? 1 : 0;
    }
    this.count++;
  }

  private oscPut(b: number): void {
    if (!this.oscIdentDone) {
      if (b >= 0x30 && b <= 0x39 && (this.oscIdent < 0 || this.oscIdent < 100000)) {
        this.oscIdent = (this.oscIdent < 0 ? 0 : this.oscIdent) * 10 + (b - 0x30);
        return;
      }
      this.oscIdentDone = true;
      this.oscLimit = this.t.oscLimit(this.oscIdent);
      if (b === 0x3b) return;
      this.oscIdent = -1; // no number before the payload
    }
    if (this.oscBytes.length >= this.oscLimit) {
      this.oscOverflow = true;
      return;
    }
    this.oscBytes.push(b);
  }

  private endOsc(success: boolean): void {
    this.state = State.Ground;
    if (!success) return;
    if (!this.oscIdentDone) {
      this.oscIdentDone = true;
      this.oscLimit = this.t.oscLimit(this.oscIdent);
    }
    const data = Buffer.from(this.oscBytes).toString('utf8');
    this.oscBytes.length = 0;
    this.t.osc(this.oscIdent, data, this.oscOverflow);
  }

  private toGround(): void {
    this.state = State.Ground;
  }
}
