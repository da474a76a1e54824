// The SGR state (the "pen") of the client's framebuffer as xterm keeps it: a foreground and a background
// attribute word in xterm's layout plus the extended underline word, and SGR (`CSI ... m`) applied to it exactly
// as xterm.js's charAttributes does, so that cells come out with the same styles (style.ts) as from the
// server's xterm emulator. Not a parser (vtparser.ts) and not a screen.
import { blankStyleOf, cellBg, cellExt, cellFg, eraseBg, styleOf } from './style';
import { MAX_PARAMS } from './vtparser';

// xterm attribute layout (common/buffer/Constants.ts in xterm.js).
const CM_MASK = 0x3000000;
const CM_P16 = 0x1000000;
const CM_P256 = 0x2000000;
const CM_RGB = 0x3000000;
const RGB_MASK = 0xffffff;
const PCOLOR_MASK = 0xff;
const FG_INVERSE = 0x4000000;
const FG_BOLD = 0x8000000;
const FG_UNDERLINE = 0x10000000;
const FG_BLINK = 0x20000000;
const FG_INVISIBLE = 0x40000000;
const FG_STRIKETHROUGH = 0x80000000;
const BG_ITALIC = 0x4000000;
const BG_DIM = 0x8000000;
const BG_HAS_EXTENDED = 0x10000000;
const BG_OVERLINE = 0x40000000;
const EXT_STYLE_SHIFT = 26;
const EXT_STYLE_MASK = 7 << EXT_STYLE_SHIFT;
const EXT_COLOR_MASK = CM_MASK | RGB_MASK;

export class Pen {
  fg = 0;
  bg = 0;
  /** Underline style (bits 26-28) and underline colour (bits 0-25), as xterm's extended attributes. */
  ext = 0;
  private style: string | null = '';
  private erase: string | null = '';
  private wordsValid = true;
  private wFg = 0;
  private wBg = 0;
  private wExt = 0;
  private wErase = 0;

  private words(): void {
    this.wExt = cellExt(this.fg, this.bg, this.ext);
    this.wFg = cellFg(this.fg);
    this.wBg = cellBg(this.bg, this.wExt);
    this.wErase = eraseBg(this.bg);
    this.wordsValid = true;
  }

  /** The foreground word of a character printed now, as a cell keeps it (row.ts). */
  cellFg(): number {
    if (!this.wordsValid) this.words();
    return this.wFg;
  }

  /** The background word of a character printed now, as a cell keeps it. */
  cellBg(): number {
    if (!this.wordsValid) this.words();
    return this.wBg;
  }

  /** The extended word of a character printed now, as a cell keeps it (0: none). */
  cellExt(): number {
    if (!this.wordsValid) this.words();
    return this.wExt;
  }

  /** The background word of a cell erased now (its foreground word is 0). */
  eraseWord(): number {
    if (!this.wordsValid) this.words();
    return this.wErase;
  }

  /** The style string of a character printed now. */
  cellStyle(): string {
    if (this.style === null)
      this.style = styleOf(
        this.fg | 0,
        this.bg | 0,
        this.bg & BG_HAS_EXTENDED && this.fg & FG_UNDERLINE ? this.ext >>> 0 : 0,
      );
    return this.style;
  }

  /** The style of a cell erased now (ECH, EL, ED, a scrolled-in line): the background colour only. */
  eraseStyle(): string {
    if (this.erase === null) this.erase = blankStyleOf(this.bg | 0);
    return this.erase;
  }

  reset(): void {
    this.fg = 0;
    this.bg = 0;
    this.ext &= ~(EXT_STYLE_MASK | EXT_COLOR_MASK);
    this.updateExtended();
    this.changed();
  }

  /** DECRC: xterm restores the two attribute words, not the extended one. */
  restore(fg: number, bg: number): void {
    this.fg = fg;
    this.bg = bg;
    this.changed();
  }

  copyFrom(o: { fg: number; bg: number; ext: number }): void {
    this.fg = o.fg;
    this.bg = o.bg;
    this.ext = o.ext;
    this.changed();
  }

  private changed(): void {
    this.style = null;
    this.erase = null;
    this.wordsValid = false;
  }

  /** Applies a canonical style string (style.ts) as `CSI 0;style m` would. */
  applyStyle(style: string): void {
    if (!/^[0-9;:]*$/.test(style)) return;
    const params = new Int32Array(MAX_PARAMS);
    const sub = new Uint8Array(MAX_PARAMS);
    let count = 1;
    params[0] = 0;
    for (const part of style.split(/([;:])/)) {
      if (part === ';' || part === ':') {
        if (count >= MAX_PARAMS) break;
        sub[count] = part === ':' ? 1 : 0;
        params[count++] = -1;
      } else if (part !== '') {
        params[count - 1] = Math.min(Number(part), 0x7fffffff);
      }
    }
    this.sgr(params, sub, count);
  }

  /** xterm's updateExtended: the background's extended flag is set while an underline style is. */
  private updateExtended(): void {
    if (this.ext & EXT_STYLE_MASK) this.bg |= BG_HAS_EXTENDED;
    else this.bg &= ~BG_HAS_EXTENDED;
  }

  private underline(style: number): void {
    if (style < 0 || style > 5) style = 1;
    this.ext = (this.ext & ~EXT_STYLE_MASK) | (style << EXT_STYLE_SHIFT);
    this.fg |= FG_UNDERLINE;
    if (style === 0) this.fg &= ~FG_UNDERLINE;
    this.updateExtended();
  }

  /**
   * Applies `CSI params m`. `params`/`sub` are the parser's flat list (-1: omitted; sub[i] = 1 when value i came
   * after a ':'), `count` of them. Follows xterm's charAttributes over its main parameters and their
   * sub-parameters.
   */
  sgr(params: Int32Array, sub: Uint8Array, count: number): void {
    this.changed();
    if (count === 0) return this.reset();
    // The main parameters (those not after a ':').
    const mains = this.mains;
    let n = 0;
    for (let k = 0; k < count; k++) if (k === 0 || sub[k] === 0) mains[n++] = k;
    mains[n] = count;
    for (let m = 0; m < n; m++) {
      const k = mains[m];
      const p = params[k] < 0 ? 0 : params[k];
      const hasSub = mains[m + 1] > k + 1;
      if ((p === 38 || p === 48) && m + 2 < n && params[k + 1] === 5 && mains[m + 1] === k + 1) {
        // The common 38;5;n / 48;5;n (no sub-parameters), first: what color() gives for it, without its walk
        if (mains[m + 2] === k + 2 && mains[m + 3] === k + 3) {
          const v = params[k + 2] < 0 ? 0 : params[k + 2] & 0xff;
          if (p === 38) this.fg = (this.fg & ~(CM_MASK | PCOLOR_MASK)) | CM_P256 | v;
          else this.bg = (this.bg & ~(CM_MASK | PCOLOR_MASK)) | CM_P256 | v;
          m += 2;
        } else m += this.color(params, m, n);
      } else if (p >= 30 && p <= 37) this.fg = (this.fg & ~(CM_MASK | PCOLOR_MASK)) | CM_P16 | (p - 30);
      else if (p >= 40 && p <= 47) this.bg = (this.bg & ~(CM_MASK | PCOLOR_MASK)) | CM_P16 | (p - 40);
      else if (p >= 90 && p <= 97) this.fg = (this.fg & ~(CM_MASK | PCOLOR_MASK)) | CM_P16 | (p - 90) | 8;
      else if (p >= 100 && p <= 107) this.bg = (this.bg & ~(CM_MASK | PCOLOR_MASK)) | CM_P16 | (p - 100) | 8;
      else if (p === 0) this.reset();
      else if (p === 1) this.fg |= FG_BOLD;
      else if (p === 3) this.bg |= BG_ITALIC;
      else if (p === 4) {
        this.fg |= FG_UNDERLINE;
        this.underline(hasSub ? params[k + 1] : 1);
      } else if (p === 5) this.fg |= FG_BLINK;
      else if (p === 7) this.fg |= FG_INVERSE;
      else if (p === 8) this.fg |= FG_INVISIBLE;
      else if (p === 9) this.fg |= FG_STRIKETHROUGH;
      else if (p === 2) this.bg |= BG_DIM;
      else if (p === 21) this.underline(2);
      else if (p === 22) {
        this.fg &= ~FG_BOLD;
        this.bg &= ~BG_DIM;
      } else if (p === 23) this.bg &= ~BG_ITALIC;
      else if (p === 24) {
        this.fg &= ~FG_UNDERLINE;
        this.underline(0);
      } else if (p === 25) this.fg &= ~FG_BLINK;
      else if (p === 27) this.fg &= ~FG_INVERSE;
      else if (p === 28) this.fg &= ~FG_INVISIBLE;
      else if (p === 29) this.fg &= ~FG_STRIKETHROUGH;
      else if (p === 39) this.fg &= ~(CM_MASK | RGB_MASK);
      else if (p === 49) this.bg &= ~(CM_MASK | RGB_MASK);
      else if (p === 38 || p === 48 || p === 58) m += this.color(params, m, n);
      else if (p === 53) this.bg |= BG_OVERLINE;
      else if (p === 55) this.bg &= ~BG_OVERLINE;
      else if (p === 59) {
        // xterm sets the underline colour to -1 here: every bit, mode and value alike
        this.ext = (this.ext & ~EXT_COLOR_MASK) | EXT_COLOR_MASK;
        this.updateExtended();
      }
    }
  }

  private readonly mains = new Int32Array(MAX_PARAMS + 1);

  /**
   * 38/48/58 at main parameter `pos` with its colour (xterm's _extractColor, literally): `;5;n`, `;2;r;g;b`, or
   * with ':' sub-parameters (`38:2::r:g:b`, `38:2:r:g:b`, `38:5:n`). Returns how many more main parameters it used.
   */
  private readonly accu = new Int32Array(6);

  private color(params: Int32Array, pos: number, mainCount: number): number {
    const mains = this.mains;
    const accu = this.accu;
    accu[0] = 0;
    accu[1] = 0;
    accu[2] = -1;
    accu[3] = 0;
    accu[4] = 0;
    accu[5] = 0;
    let cSpace = 0;
    let advance = 0;
    do {
      const k = mains[pos + advance];
      accu[advance + cSpace] = params[k] < 0 ? 0 : params[k];
      const subEnd = mains[pos + advance + 1];
      if (subEnd > k + 1) {
        let i = 0;
        do {
          if (accu[1] === 5) cSpace = 1;
          accu[advance + i + 1 + cSpace] = params[k + 1 + i];
        } while (++i < subEnd - k - 1 && i + advance + 1 + cSpace < 6);
        break;
      }
      if ((accu[1] === 5 && advance + cSpace >= 2) || (accu[1] === 2 && advance + cSpace >= 5)) break;
      if (accu[1]) cSpace = 1;
    } while (++advance + pos < mainCount && advance + cSpace < 6);
    for (let i = 2; i < 6; i++) if (accu[i] === -1) accu[i] = 0;
    const mode = accu[1];
    if (mode !== 2 && mode !== 5) return advance;
    const target = accu[0];
    let c = target === 38 ? this.fg : target === 48 ? this.bg : target === 58 ? this.ext & EXT_COLOR_MASK : 0;
    if (mode === 2)
      c = ((c | CM_RGB) & ~RGB_MASK) | ((accu[3] & 0xff) << 16) | ((accu[4] & 0xff) << 8) | (accu[5] & 0xff);
    else c = (c & ~(CM_MASK | PCOLOR_MASK)) | CM_P256 | (accu[3] & 0xff);
    if (target === 38) this.fg = c;
    else if (target === 48) this.bg = c;
    // (xterm does not update the background's extended flag here, unlike for 59)
    else if (target === 58) this.ext = (this.ext & ~EXT_COLOR_MASK) | (c & EXT_COLOR_MASK);
    return advance;
  }
}
