// Character widths: an xterm width provider that matches glibc's wcwidth (what stock mosh-server and mosh-client
// use, mosh-protocol.md 8.2), and the "stable width" test the differ uses to decide when a target terminal with
// other width tables (xterm.js's Unicode 6 or 11, a stock client's libc) might disagree. Not a grapheme segmenter.
import { DOUBLE_WIDTH, ZERO_WIDTH } from './glibcwidths';

function inRanges(table: readonly number[], cp: number): boolean {
  let lo = 0;
  let hi = (table.length >> 1) - 1;
  if (hi < 0 || cp < table[0] || cp > table[table.length - 1]) return false;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < table[mid * 2]) hi = mid - 1;
    else if (cp > table[mid * 2 + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}

const cache = new Uint8Array(0x10000).fill(255);

/** glibc wcwidth in a UTF-8 locale, with non-printable code points as 0. */
export function glibcWidth(cp: number): 0 | 1 | 2 {
  if (cp < 0x7f && cp >= 0x20) return 1;
  if (cp < 0x10000) {
    let w = cache[cp];
    if (w === 255) {
      w = inRanges(ZERO_WIDTH, cp) ? 0 : inRanges(DOUBLE_WIDTH, cp) ? 2 : 1;
      cache[cp] = w;
    }
    return w as 0 | 1 | 2;
  }
  return inRanges(ZERO_WIDTH, cp) ? 0 : inRanges(DOUBLE_WIDTH, cp) ? 2 : 1;
}

/** The shape of xterm's IUnicodeVersionProvider (headless typings). */
export interface WidthProvider {
  readonly version: string;
  wcwidth(codepoint: number): 0 | 1 | 2;
  charProperties(codepoint: number, preceding: number): number;
}

/**
 * xterm width provider with glibc widths. Joining follows xterm's own Unicode 6 provider: a zero-width code
 * point joins the preceding character's cell when one was just printed.
 */
export const glibcWidthProvider: WidthProvider = {
  version: 'glibc',
  wcwidth: glibcWidth,
  charProperties(codepoint: number, preceding: number): number {
    let width: number = glibcWidth(codepoint);
    let shouldJoin = width === 0 && preceding !== 0;
    if (shouldJoin) {
      const oldWidth = (preceding >> 1) & 3;
      if (oldWidth === 0) shouldJoin = false;
      else if (oldWidth > width) width = oldWidth;
    }
    return ((width & 3) << 1) | (shouldJoin ? 1 : 0);
  },
};

/**
 * True if every code point of `text` has the same width in every width table a terminal is likely to use
 * (ASCII and Latin, Greek, Cyrillic, box drawing, the core CJK, kana and Hangul blocks). After printing anything
 * else, the differ stops trusting the column it computed and positions the next cell absolutely.
 */
export function isStableWidth(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x300) continue;
    if (c >= 0x370 && c <= 0x52f) continue;
    if (c >= 0x2500 && c <= 0x259f) continue;
    if (c >= 0x3041 && c <= 0x30ff) continue;
    if (c >= 0x3400 && c <= 0x4dbf) continue;
    if (c >= 0x4e00 && c <= 0x9fff) continue;
    if (c >= 0xac00 && c <= 0xd7a3) continue;
    if (c >= 0xff01 && c <= 0xff60) continue;
    return false;
  }
  return true;
}
