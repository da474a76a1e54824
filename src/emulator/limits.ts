// The largest screen any terminal of ours holds: what a real terminal window can have, with room to spare. A
// screen size from the network (a server's resize, a client's window size) or a saved session beyond these is
// refused or clamped, so that no peer can make the other allocate gigabytes with a few bytes. Constants and two
// helpers only; the callers decide whether to clamp (our own window, a client's request) or refuse (a server).

/** Columns: an 8K display at a 4-pixel font is under 2000. */
export const MAX_COLS = 2048;
/** Rows. */
export const MAX_ROWS = 2048;
/** Cells in one screen (columns x rows): about 1 M, e.g. 2048 x 512 or 1024 x 1024. */
export const MAX_CELLS = 1 << 20;

/** Why `cols` x `rows` is not a screen size we hold, or null when it is. */
export function screenSizeProblem(cols: number, rows: number): string | null {
  if (!Number.isInteger(cols) || !Number.isInteger(rows) || cols < 1 || rows < 1)
    return `${cols}x${rows} is not a window size`;
  if (cols > MAX_COLS || rows > MAX_ROWS || cols * rows > MAX_CELLS) {
    return `${cols}x${rows} is larger than a terminal may be (at most ${MAX_COLS}x${MAX_ROWS}, ${MAX_CELLS} cells)`;
  }
  return null;
}

/** The nearest size within the limits (at least 1x1; rows give way first when there are too many cells). */
export function clampScreenSize(cols: number, rows: number): { cols: number; rows: number } {
  const c = Math.min(Math.max(Math.floor(cols) || 1, 1), MAX_COLS);
  let r = Math.min(Math.max(Math.floor(rows) || 1, 1), MAX_ROWS);
  if (c * r > MAX_CELLS) r = Math.floor(MAX_CELLS / c);
  return { cols: c, rows: r };
}
