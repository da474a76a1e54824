// The framebuffer snapshot: immutable, JSON-serializable data (rows are packed, row.ts, and write themselves out
// as plain data) describing what a terminal shows (cells,
// cursor, modes a user's terminal must follow, titles, bell count). Produced by Emulator.snapshot(), consumed by
// the display differ (newframe.ts), the prediction overlays and session resume. No xterm types leak in here, and
// nothing here touches a terminal.
//
// Cheap to compare: an emulator hands out the very same Row object for a row that did not change (also when it
// merely moved, e.g. scrolled), and the same Modes object while no mode changed, so `===` settles most
// comparisons. Rows that are equal but not identical (e.g. after a JSON round trip) compare cell by cell.
//
// Treat every object reachable from a Snapshot as frozen: rows are shared between snapshots.

import { Row } from './row';

export { Row };

export type MouseTracking = 0 | 9 | 1000 | 1001 | 1002 | 1003;
export type MouseEncoding = 0 | 1005 | 1006 | 1015 | 1016;

/** Terminal modes that change how the user's terminal encodes input or shows the screen. */
export interface Modes {
  /** DECCKM (`CSI ? 1 h`): arrow keys send `ESC O x`. */
  readonly applicationCursorKeys: boolean;
  /** DECKPAM (`ESC =`) / DECNKM (`CSI ? 66 h`). */
  readonly applicationKeypad: boolean;
  /** `CSI ? 2004 h`. */
  readonly bracketedPaste: boolean;
  /** The mouse reporting mode set last: 0 (off), 9, 1000, 1001, 1002 or 1003. */
  readonly mouseTracking: MouseTracking;
  /** The mouse encoding: 0 (default), 1005 (UTF-8), 1006 (SGR), 1015 (urxvt), 1016 (SGR pixels). */
  readonly mouseEncoding: MouseEncoding;
  /** `CSI ? 1004 h`: focus in/out reports. */
  readonly focusEvents: boolean;
  /** The alternate screen is shown (`CSI ? 1049 h`, 1047, 47). */
  readonly altScreen: boolean;
  /** DECSCNM (`CSI ? 5 h`): reverse video for the whole screen. */
  readonly reverseVideo: boolean;
  /** DECSCUSR (`CSI n SP q`): 0 = the terminal's default, 1/2 block, 3/4 underline, 5/6 bar (odd = blinking). */
  readonly cursorStyle: number;
}

export interface Cursor {
  /** Column, 0-based, always < cols (a pending wrap after the last column shows as the last column). */
  readonly x: number;
  /** Row, 0-based, < rows. */
  readonly y: number;
  /** DECTCEM (`CSI ? 25 h`). */
  readonly visible: boolean;
}

export interface Snapshot {
  readonly cols: number;
  readonly rows: number;
  /** Exactly `rows` rows of exactly `cols` cells. */
  readonly lines: readonly Row[];
  readonly cursor: Cursor;
  /** The current SGR state (what the next printed character would get), as a style string. */
  readonly pen: string;
  readonly modes: Modes;
  /** Window title (OSC 0 / OSC 2). */
  readonly title: string;
  /** Icon name (OSC 0 / OSC 1). */
  readonly iconName: string;
  /** Whether an OSC 0/1/2 was ever seen; mosh only sends titles once one was set. */
  readonly titleSet: boolean;
  /** Last clipboard payload set with OSC 52 (base64, as the application sent it), or null if none. */
  readonly clipboard: string | null;
  /** Number of BEL characters seen. Only increases. */
  readonly bellCount: number;
}

export const DEFAULT_MODES: Modes = Object.freeze({
  applicationCursorKeys: false,
  applicationKeypad: false,
  bracketedPaste: false,
  mouseTracking: 0,
  mouseEncoding: 0,
  focusEvents: false,
  altScreen: false,
  reverseVideo: false,
  cursorStyle: 0,
});

const blankRows = new Map<number, Row>();

/** A row of `cols` empty default cells (shared per width). */
export function blankRow(cols: number): Row {
  let row = blankRows.get(cols);
  if (row === undefined) {
    row = Row.blank(cols);
    if (blankRows.size > 64) blankRows.clear();
    blankRows.set(cols, row);
  }
  return row;
}

/** A blank screen, cursor home and visible, default modes: what a fresh terminal shows (mosh's state 0). */
export function blankSnapshot(cols: number, rows: number): Snapshot {
  const row = blankRow(cols);
  return {
    cols,
    rows,
    lines: new Array<Row>(rows).fill(row),
    cursor: { x: 0, y: 0, visible: true },
    pen: '',
    modes: DEFAULT_MODES,
    title: '',
    iconName: '',
    titleSet: false,
    clipboard: null,
    bellCount: 0,
  };
}

/** Display width of cell `x` (0, 1 or 2). */
export function cellWidth(row: Row, x: number): number {
  return row.widthAt(x);
}

/** Same cells and wrap flag. */
export function rowsEqual(a: Row, b: Row): boolean {
  return a === b || (a.wraps === b.wraps && a.sameCells(b));
}

export function modesEqual(a: Modes, b: Modes): boolean {
  return (
    a === b ||
    (a.applicationCursorKeys === b.applicationCursorKeys &&
      a.applicationKeypad === b.applicationKeypad &&
      a.bracketedPaste === b.bracketedPaste &&
      a.mouseTracking === b.mouseTracking &&
      a.mouseEncoding === b.mouseEncoding &&
      a.focusEvents === b.focusEvents &&
      a.altScreen === b.altScreen &&
      a.reverseVideo === b.reverseVideo &&
      a.cursorStyle === b.cursorStyle)
  );
}

/** Same size, cells, cursor, pen and modes (titles, clipboard and bell count are not looked at). */
export function screensEqual(a: Snapshot, b: Snapshot): boolean {
  if (a === b) return true;
  if (a.cols !== b.cols || a.rows !== b.rows || a.pen !== b.pen) return false;
  if (a.cursor.x !== b.cursor.x || a.cursor.y !== b.cursor.y || a.cursor.visible !== b.cursor.visible) return false;
  if (!modesEqual(a.modes, b.modes)) return false;
  for (let y = 0; y < a.rows; y++) if (!rowsEqual(a.lines[y], b.lines[y])) return false;
  return true;
}

/** Everything equal, bell count included. */
export function snapshotsEqual(a: Snapshot, b: Snapshot): boolean {
  return (
    screensEqual(a, b) &&
    a.title === b.title &&
    a.iconName === b.iconName &&
    a.titleSet === b.titleSet &&
    a.clipboard === b.clipboard &&
    a.bellCount === b.bellCount
  );
}

/** The text of row `y` with trailing empty cells dropped (for tests, logs and accessibility). */
export function rowText(snapshot: Snapshot, y: number): string {
  const row = snapshot.lines[y];
  let end = row.cols;
  while (end > 0 && row.textAt(end - 1) === '') end--;
  let s = '';
  for (let x = 0; x < end; x++) {
    const t = row.textAt(x);
    s += t === '' ? (row.widthAt(x) === 0 ? '' : ' ') : t;
  }
  return s;
}
