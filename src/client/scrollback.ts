// Writes history lines (our server's scrollback extension) into the user's terminal so that they land in its own
// scrollback, in order, each once: the screen is emptied (row by row), the lines are printed from the top (rows that wrapped on
// the server are joined, so the terminal wraps them at its own width and reflows them later), the rows they still
// occupy are scrolled off the bottom, and the caller repaints the screen. Only renditions and printable text reach
// the terminal (history.ts checks each line). Not where lines come from (statesync/history.ts).
import { glibcWidth } from '../emulator';
import { type HistoryLine, safeHistoryText } from '../statesync';

/** Display width of text with SGR sequences in it (glibc widths, as the terminal is assumed to use). */
function displayWidth(text: string): number {
  let w = 0;
  // eslint-disable-next-line no-control-regex
  const plain = text.replace(/\x1b\[[0-9;:]*m/g, '');
  for (const ch of plain) w += glibcWidth(ch.codePointAt(0)!);
  return w;
}

/**
 * The bytes that move `lines` (consecutive history lines, the first possibly continuing one already written)
 * into the scrollback of a terminal of `cols` x `rows`, leaving its screen blank with the cursor home and the
 * rendition reset. `leaveAlternate`: the terminal shows the alternate screen (which keeps no scrollback) and must
 * leave it first.
 */
export function scrollbackOutput(
  lines: readonly HistoryLine[],
  cols: number,
  rows: number,
  leaveAlternate = false,
): string {
  // Rows that wrapped on the server make one logical line here.
  const logical: string[] = [];
  let cur = '';
  let open = false;
  for (const l of lines) {
    cur += safeHistoryText(l.text);
    open = true;
    if (!l.wraps) {
      logical.push(cur);
      cur = '';
      open = false;
    }
  }
  if (open) logical.push(cur);
  let out = leaveAlternate ? '\x1b[?1049l' : '';
  // Empty the screen row by row: erasing it whole (ED) makes some terminals (tmux) push it into the scrollback.
  out += '\x1b[?25l\x1b[r\x1b[0m';
  for (let y = rows; y >= 1; y--) out += `\x1b[${y};1H\x1b[2K`;
  // Where the cursor is, and how many rows at the top hold lines not yet scrolled off.
  let row = 0;
  for (const text of logical) {
    // The line takes n rows from `row` on (the terminal scrolls if it must); CR LF then moves below it.
    const n = Math.max(1, Math.ceil(displayWidth(text) / cols));
    out += text + '\x1b[0m\r\n';
    row = Math.min(row + n, rows - 1);
  }
  // The rows above the cursor still hold history: scroll them off the bottom, into the scrollback.
  if (row > 0) out += `\x1b[${rows};1H${'\n'.repeat(row)}`;
  out += '\x1b[H';
  return out;
}
