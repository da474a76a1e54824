// The rendition side of the display differ (newframe.ts): the SGR state the target terminal has, as cell words
// (row.ts, style.ts), and the `CSI 0;...m` that changes it, written from cached pieces without building a style
// string. Not the differ's cursor or cell logic.
import type { ByteWriter } from './bytewriter';
import { BG_HAS_EXTENDED, type Row, wordsOfStyle } from './row';
import { sgrPieces } from './style';

export class PenWriter {
  /** The target's rendition, as emitted (mapped for the vocabulary). */
  fg = 0;
  bg = 0;
  ext = 0;
  /** The SGR pieces being written (reused). */
  private readonly pieces: string[] = [];

  constructor(
    private readonly o: ByteWriter,
    /** A stock mosh-client's vocabulary: no underline styles or colours. */
    private readonly mosh: boolean,
  ) {}

  /** Sets the rendition to cell words fg, bg and ext, unless it is that already; true if it wrote an SGR. */
  set(fg: number, bg: number, ext: number): boolean {
    if (this.mosh && bg & BG_HAS_EXTENDED) {
      // A stock mosh-client takes no underline style or colour: what it shows does not depend on them.
      bg &= ~BG_HAS_EXTENDED;
      ext = 0;
    }
    if (fg === this.fg && bg === this.bg && ext === this.ext) return false;
    const o = this.o;
    const pieces = this.pieces;
    const n = sgrPieces(fg, bg, ext, this.mosh, pieces);
    let len = 4 + n;
    for (let i = 0; i < n; i++) len += pieces[i].length;
    const buf = o.reserve(len);
    let at = o.length;
    buf[at++] = 0x1b;
    buf[at++] = 0x5b;
    buf[at++] = 0x30;
    for (let i = 0; i < n; i++) {
      const piece = pieces[i];
      buf[at++] = 0x3b;
      for (let j = 0; j < piece.length; j++) buf[at++] = piece.charCodeAt(j);
    }
    buf[at++] = 0x6d;
    o.length = at;
    this.fg = fg;
    this.bg = bg;
    this.ext = ext;
    return true;
  }

  /** Sets the rendition to that of cell x of `row`. */
  setOf(row: Row, x: number): boolean {
    const c = row.cells;
    const bg = c[x * 3 + 2];
    return this.set(c[x * 3 + 1], bg, bg & BG_HAS_EXTENDED ? (row.exts?.get(x) ?? 0) : 0);
  }

  /** Sets the rendition to a style string (a snapshot's pen; a malformed one counts as the default). */
  setStyle(style: unknown): boolean {
    const w = wordsOfStyle(style);
    return this.set(w.fg, w.bg, w.ext);
  }

  /** What the target's rendition is known to be (without writing anything). */
  track(style: unknown): void {
    const w = wordsOfStyle(style);
    this.fg = w.fg;
    this.bg = this.mosh ? w.bg & ~BG_HAS_EXTENDED : w.bg;
    this.ext = this.mosh ? 0 : w.ext;
  }
}
