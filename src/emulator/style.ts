// Cell renditions ("styles") as canonical SGR parameter strings, decoded from xterm's packed attribute words.
// A style is what goes between `CSI 0;` and `m` to reproduce a rendition from a reset state: '' is the default
// rendition. Equal renditions give identical strings, so styles compare with ===, and they are plain JSON.
// Not a parser of arbitrary SGR input (xterm does that), and not aware of cells or screens.
//
// Canonical order: 1 bold; 2 dim; 3 italic; 4 (or 4:N for double/curly/dotted/dashed) underline; 5 blink;
// 7 inverse; 8 invisible; 9 strikethrough; 53 overline; then the foreground (30-37, 90-97, 38;5;n, 38;2;r;g;b),
// the background (40-47, 100-107, 48;5;n, 48;2;r;g;b) and the underline colour (58;5;n, 58;2;r;g;b).

// xterm attribute layout (common/buffer/Constants.ts in xterm.js).
const CM_MASK = 0x3000000;
const CM_P16 = 0x1000000;
const CM_P256 = 0x2000000;
const CM_RGB = 0x3000000;
const RGB_MASK = 0xffffff;
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
const EXT_UNDERLINE_STYLE_SHIFT = 26;

/** The bits of a background word that an erase (ECH/EL/ED, BCE) keeps: the colour mode and value. */
export const BG_COLOR_BITS = CM_MASK | RGB_MASK;

function color(word: number, base: number, brightBase: number, extended: number): string {
  const mode = word & CM_MASK;
  if (mode === 0) return '';
  if (mode === CM_P16) {
    const n = word & 0xff;
    return n < 8 ? String(base + n) : String(brightBase + (n & 7));
  }
  if (mode === CM_P256) return `${extended};5;${word & 0xff}`;
  if (mode === CM_RGB) return `${extended};2;${(word >>> 16) & 0xff};${(word >>> 8) & 0xff};${word & 0xff}`;
  return '';
}

// The pieces of a style, cached: the attribute flags (few combinations) and each colour word.
const FG_FLAGS = FG_BOLD | FG_UNDERLINE | FG_BLINK | FG_INVERSE | FG_INVISIBLE | FG_STRIKETHROUGH;
const BG_FLAGS = BG_DIM | BG_ITALIC | BG_OVERLINE;
/** Flag strings by key (flagsOf), built on first use. */
const flagCache: (string | undefined)[] = new Array<string | undefined>(1 << 13).fill(undefined);
const fgColorCache = new Map<number, string>();
const bgColorCache = new Map<number, string>();

function flagsOf(fg: number, bg: number, ext: number): string {
  const key = ((fg & FG_FLAGS) >>> 26) | ((bg & BG_FLAGS) >>> 18);
  if (fg & FG_UNDERLINE && bg & BG_HAS_EXTENDED && ext !== 0) return buildFlags(fg, bg, ext); // rare: 4:N
  let s = flagCache[key];
  if (s === undefined) {
    s = buildFlags(fg, bg, 0);
    flagCache[key] = s;
  }
  return s;
}

function buildFlags(fg: number, bg: number, ext: number): string {
  const parts: string[] = [];
  if (fg & FG_BOLD) parts.push('1');
  if (bg & BG_DIM) parts.push('2');
  if (bg & BG_ITALIC) parts.push('3');
  if (fg & FG_UNDERLINE) {
    const u = bg & BG_HAS_EXTENDED ? (ext >>> EXT_UNDERLINE_STYLE_SHIFT) & 7 : 1;
    parts.push(u <= 1 || u > 5 ? '4' : `4:${u}`);
  }
  if (fg & FG_BLINK) parts.push('5');
  if (fg & FG_INVERSE) parts.push('7');
  if (fg & FG_INVISIBLE) parts.push('8');
  if (fg & FG_STRIKETHROUGH) parts.push('9');
  if (bg & BG_OVERLINE) parts.push('53');
  return parts.join(';');
}

// Palette colours (16 and 256) by index, built once; RGB ones go through the small map.
const fgP16 = Array.from({ length: 256 }, (_, n) => color(CM_P16 | n, 30, 90, 38));
const bgP16 = Array.from({ length: 256 }, (_, n) => color(CM_P16 | n, 40, 100, 48));
const fgP256 = Array.from({ length: 256 }, (_, n) => `38;5;${n}`);
const bgP256 = Array.from({ length: 256 }, (_, n) => `48;5;${n}`);

function colorPart(
  cache: Map<number, string>,
  word: number,
  base: number,
  brightBase: number,
  extended: number,
): string {
  const key = word & (CM_MASK | RGB_MASK);
  if (key === 0) return '';
  const mode = key & CM_MASK;
  if (mode === CM_P16) return (base === 30 ? fgP16 : bgP16)[key & 0xff];
  if (mode === CM_P256) return (base === 30 ? fgP256 : bgP256)[key & 0xff];
  let s = cache.get(key);
  if (s === undefined) {
    if (cache.size > 4096) cache.clear();
    s = color(key, base, brightBase, extended);
    cache.set(key, s);
  }
  return s;
}

// The pieces of the style being built (reused). Joined, a style is one flat string of its own size: built with
// `+` it would be a rope (V8 ConsString: two more objects) that the differ's first character read flattens into
// a copy anyway, and that every later comparison walks through.
const pieces: string[] = [];

function build(fg: number, bg: number, ext: number): string {
  let n = 0;
  const flags = flagsOf(fg, bg, ext);
  if (flags) pieces[n++] = flags;
  const f = colorPart(fgColorCache, fg, 30, 90, 38);
  if (f) pieces[n++] = f;
  const b = colorPart(bgColorCache, bg, 40, 100, 48);
  if (b) pieces[n++] = b;
  if (bg & BG_HAS_EXTENDED && fg & FG_UNDERLINE) {
    const u = color(ext, 0, 0, 58);
    if (u && (ext & CM_MASK) !== CM_P16) pieces[n++] = u;
  }
  if (n <= 1) return n === 0 ? '' : pieces[0];
  pieces.length = n;
  return pieces.join(';');
}

// A direct-mapped front cache (a hit costs two array reads), then the two-level map.
const FRONT = 4096;
const frontFg = new Int32Array(FRONT);
const frontBg = new Int32Array(FRONT);
const frontStyle: (string | null)[] = new Array<string | null>(FRONT).fill(null);

// Cells with extended attributes (underline style/colour, rare) use a string-keyed cache; the others a
// direct-mapped front cache, then build (cheap: cached pieces), so a screen of all-different colours costs no map.
const extCache = new Map<string, string>();

/**
 * The style of a cell with xterm attribute words `fg`, `bg` and (when bg has the extended flag) the extended
 * word `ext`. Attribute bits xterm keeps but that have no SGR form here (protected, hyperlink ids) are ignored.
 */
export function styleOf(fg: number, bg: number, ext: number): string {
  const extended = bg & BG_HAS_EXTENDED && fg & FG_UNDERLINE && ext !== 0;
  const slot = ((fg ^ (bg * 31) ^ (bg >>> 13)) >>> 0) & (FRONT - 1);
  if (!extended && frontFg[slot] === (fg | 0) && frontBg[slot] === (bg | 0)) {
    const hit = frontStyle[slot];
    if (hit !== null) return hit;
  }
  const s = styleOfSlow(fg, bg, ext, extended);
  if (!extended) {
    frontFg[slot] = fg | 0;
    frontBg[slot] = bg | 0;
    frontStyle[slot] = s;
  }
  return s;
}

function styleOfSlow(fg: number, bg: number, ext: number, extended: boolean | number): string {
  if (extended) {
    const k = `${fg >>> 0}:${bg >>> 0}:${ext >>> 0}`;
    let s = extCache.get(k);
    if (s === undefined) {
      if (extCache.size > 4096) extCache.clear();
      s = build(fg, bg, ext);
      extCache.set(k, s);
    }
    return s;
  }
  return build(fg, bg, 0);
}

// ---- Attribute words as cells keep them (row.ts): normalised, so that equal styles have equal words ----

/** A colour (mode and value bits) with what no style shows dropped: stale value bits, a 16-colour index past 15. */
export function normColor(word: number): number {
  const mode = word & CM_MASK;
  if (mode === 0) return 0;
  if (mode === CM_P16) {
    const n = word & 0xff;
    return CM_P16 | (n < 8 ? n : 8 | (n & 7));
  }
  if (mode === CM_P256) return CM_P256 | (word & 0xff);
  return word & (CM_MASK | RGB_MASK);
}

/** A foreground word as a cell keeps it: its attribute flags and colour. */
export function cellFg(fg: number): number {
  return ((fg & FG_FLAGS) | normColor(fg)) >>> 0;
}

/**
 * The extended word as a cell keeps it: 0 unless the cell is underlined with a style or colour a style shows
 * (4:2 to 4:5; an underline colour of 256 or RGB), else those bits only.
 */
export function cellExt(fg: number, bg: number, ext: number): number {
  if (!(fg & FG_UNDERLINE) || !(bg & BG_HAS_EXTENDED)) return 0;
  let u = (ext >>> EXT_UNDERLINE_STYLE_SHIFT) & 7;
  if (u <= 1 || u > 5) u = 0;
  const c = normColor(ext);
  return ((u << EXT_UNDERLINE_STYLE_SHIFT) | ((c & CM_MASK) === CM_P16 ? 0 : c)) >>> 0;
}

/** A background word as a cell keeps it, given the cell's kept extended word (cellExt). */
export function cellBg(bg: number, ext: number): number {
  return ((bg & BG_FLAGS) | (ext !== 0 ? BG_HAS_EXTENDED : 0) | normColor(bg)) >>> 0;
}

/** The background word of an erased cell (its foreground word is 0): the colour alone. */
export function eraseBg(bg: number): number {
  return normColor(bg);
}

/**
 * The SGR parameters of a cell's words (cellFg, cellBg, cellExt) as pieces to join with ';' (into `out`, from
 * index 0; returns how many): what the style string holds, without building it. 'mosh' leaves out what a stock
 * mosh-client cannot take (moshStyle): colon sub-parameters and the underline colour.
 */
export function sgrPieces(fg: number, bg: number, ext: number, mosh: boolean, out: string[]): number {
  let n = 0;
  const flags = flagsOf(fg, bg, mosh ? 0 : ext);
  if (flags) out[n++] = flags;
  const f = colorPart(fgColorCache, fg, 30, 90, 38);
  if (f) out[n++] = f;
  const b = colorPart(bgColorCache, bg, 40, 100, 48);
  if (b) out[n++] = b;
  if (!mosh && ext !== 0 && bg & BG_HAS_EXTENDED && fg & FG_UNDERLINE) {
    const u = underlineColorPart(ext);
    if (u) out[n++] = u;
  }
  return n;
}

const ulColorCache = new Map<number, string>();

/** `58;5;n` or `58;2;r;g;b` for an extended word's underline colour ('' for none or a 16-colour one). */
function underlineColorPart(ext: number): string {
  const key = ext & (CM_MASK | RGB_MASK);
  const mode = key & CM_MASK;
  if (mode === 0 || mode === CM_P16) return '';
  let s = ulColorCache.get(key);
  if (s === undefined) {
    if (ulColorCache.size > 4096) ulColorCache.clear();
    s = color(key, 0, 0, 58);
    ulColorCache.set(key, s);
  }
  return s;
}

/** The style of an erased (empty) cell: only the background colour survives an erase. */
export function blankStyleOf(bg: number): string {
  return styleOf(0, bg & BG_COLOR_BITS, 0);
}

/** True if `style` is a background colour alone (or default): a rendition ECH/EL can produce. */
export function isBackgroundOnly(style: string): boolean {
  if (style === '') return true;
  return /^(4[0-7]|10[0-7]|48;5;\d{1,3}|48;2;\d{1,3};\d{1,3};\d{1,3})$/.test(style);
}

const moshCache = new Map<string, string>();

/**
 * The style as a stock mosh-client can take it: no colon sub-parameters (4:N becomes 4) and no underline colour
 * (58;...; mosh would read its arguments as separate SGR values). Everything else mosh parses or ignores.
 */
export function moshStyle(style: string): string {
  if (style === '' || (style.indexOf(':') < 0 && style.indexOf('58;') < 0)) return style;
  let s = moshCache.get(style);
  if (s === undefined) {
    const parts = style.split(';');
    const out: string[] = [];
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (p === '38' || p === '48') {
        const n = parts[i + 1] === '2' ? 5 : 3;
        out.push(...parts.slice(i, i + n));
        i += n - 1;
      } else if (p === '58') {
        i += parts[i + 1] === '2' ? 4 : 2;
      } else if (p.startsWith('4:')) {
        out.push('4');
      } else {
        out.push(p);
      }
    }
    s = out.join(';');
    if (moshCache.size > 4096) moshCache.clear();
    moshCache.set(style, s);
  }
  return s;
}

/**
 * True if `style` is safe to put between `CSI 0;` and `m`: digits, ';' and ':' only. A scan of the characters
 * (0x30-0x3b): the display differ asks this at every change of rendition, and a regular expression or a memo of
 * styles seen costs several times more than the scan of ~20 characters.
 */
export function isWellFormedStyle(style: string): boolean {
  for (let i = 0; i < style.length; i++) {
    const c = style.charCodeAt(i);
    if (c < 0x30 || c > 0x3b) return false;
  }
  return true;
}
