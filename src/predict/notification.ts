// The notification bar (mosh-protocol.md 10.3): tracks when the server was last heard from and when it last
// acknowledged our input, holds a message with a lifetime, and draws "mosh: ..." over row 0 of a copy of the
// framebuffer (bold white on blue, the rest of the row blank white on blue, cursor hidden if it is on row 0).
// Also the fixed bar texts of mosh-client (10.2). It reads no clock (the caller passes `now`, in ms) and never
// edits the authoritative framebuffer; it does not decide when to show the escape help (the client does).
import { glibcWidth, type Snapshot } from '../emulator';
import { SnapshotOverlay } from './overlay';

/** No state from the server for longer than this (ms): "Last contact ...". */
export const SERVER_LATE_MS = 6500;
/** Our newest acknowledged state was sent longer ago than this (ms): "Last reply ...". */
export const REPLY_LATE_MS = 10000;
/** Lifetime of an ordinary message (ms). */
export const MESSAGE_LIFETIME_MS = 1000;
/** Lifetime of a network error message (ms), refreshed by every new error. */
export const NETWORK_ERROR_LIFETIME_MS = 3100;
/** A network error goes this long (ms) after sends succeed again. */
export const NETWORK_ERROR_CLEAR_MS = 1000;
/** The counter refreshes every second, and every 3 s once the server has been silent for a minute. */
export const COUNT_UP_REFRESH_MS = 1000;
export const SLOW_COUNT_UP_REFRESH_MS = 3000;
export const SLOW_COUNT_UP_AFTER_MS = 60000;

/** Renditions of the bar (canonical style strings): bold white on blue for text, white on blue for padding. */
export const BAR_TEXT_STYLE = '1;37;44';
export const BAR_PAD_STYLE = '37;44';

/** The name mosh gives an escape key: "Ctrl-^" for 0x1E, the character itself for a printable key. */
export function escapeKeyName(key: number): string {
  if (key < 0x20) return `Ctrl-${String.fromCharCode(key + 0x40)}`;
  if (key === 0x7f) return 'Ctrl-?';
  return String.fromCharCode(key);
}

/** Fixed bar texts of mosh-client (10.2). */
export const BAR_TEXT = {
  /** Shown (permanently, without the quit hint) while an escape key press waits for its command. */
  escapeHelp: (keyName = 'Ctrl-^', passKey = '^'): string =>
    `Commands: Ctrl-Z suspends, "." quits, "${passKey}" gives literal ${keyName}`,
  nothingReceived: (port: number | string): string => `Nothing received from server on UDP port ${port}.`,
  timedOut: 'Timed out waiting for server...',
  exitingOnUserRequest: 'Exiting on user request...',
  exiting: 'Exiting...',
  signalReceived: 'Signal received, shutting down...',
} as const;

/** `N seconds` (or `N s` when short), `M:SS` under an hour, else `H:MM:SS`. */
export function humanReadableDuration(seconds: number, short: boolean): string {
  const n = Math.max(0, Math.floor(seconds));
  if (n < 60) return short ? `${n} s` : `${n} seconds`;
  const pad = (v: number): string => String(v).padStart(2, '0');
  if (n < 3600) return `${Math.floor(n / 60)}:${pad(n % 60)}`;
  return `${Math.floor(n / 3600)}:${pad(Math.floor(n / 60) % 60)}:${pad(n % 60)}`;
}

/** Plain-data state of the bar (for saving a session). */
export interface NotificationState {
  lastWordFromServer: number;
  lastAckedState: number;
  escapeKeyName: string;
  message: string;
  messageIsNetworkError: boolean;
  /** When the message goes away (ms), or null for a permanent one. */
  messageExpiration: number | null;
  showQuitKeystroke: boolean;
}

export interface NotificationOptions {
  /** Start of the session: counts as the last contact and the last reply. */
  now: number;
  /** Shown in the quit hint, "[To quit: Ctrl-^ .]"; see escapeKeyName(). Empty: no quit hint. */
  escapeKeyName?: string;
}

export class NotificationEngine {
  private s: NotificationState;

  constructor(opts: NotificationOptions, saved?: NotificationState) {
    this.s = saved
      ? { ...saved }
      : {
          lastWordFromServer: opts.now,
          lastAckedState: opts.now,
          escapeKeyName: opts.escapeKeyName ?? 'Ctrl-^',
          message: '',
          messageIsNetworkError: false,
          messageExpiration: null,
          showQuitKeystroke: true,
        };
  }

  saveState(): NotificationState {
    return { ...this.s };
  }

  set escapeKeyName(name: string) {
    this.s.escapeKeyName = name;
  }

  get escapeKeyName(): string {
    return this.s.escapeKeyName;
  }

  /** A new server state arrived at `now`. */
  serverHeard(now: number): void {
    this.s.lastWordFromServer = now;
  }

  /** The server acknowledged a state of ours that was sent at `sentAt`. */
  serverAcked(sentAt: number): void {
    this.s.lastAckedState = sentAt;
  }

  /**
   * Shows `text` ("mosh: text"). Ordinary messages last MESSAGE_LIFETIME_MS; permanent ones (exit messages, the
   * escape help) stay until replaced or cleared. An empty text clears the message.
   */
  setNotificationString(
    text: string,
    now: number,
    opts: { permanent?: boolean; showQuitKeystroke?: boolean; lifetimeMs?: number } = {},
  ): void {
    const s = this.s;
    s.message = text;
    s.messageIsNetworkError = false;
    s.messageExpiration = opts.permanent ? null : now + (opts.lifetimeMs ?? MESSAGE_LIFETIME_MS);
    s.showQuitKeystroke = opts.showQuitKeystroke ?? true;
  }

  /** Removes the message (the late notices still show when due). */
  clearMessage(): void {
    this.setNotificationString('', 0, { permanent: true });
  }

  /** A network send error (e.g. "sendto: Network is unreachable"): shown for NETWORK_ERROR_LIFETIME_MS. */
  setNetworkError(text: string, now: number): void {
    const s = this.s;
    s.message = text;
    s.messageIsNetworkError = true;
    s.messageExpiration = now + NETWORK_ERROR_LIFETIME_MS;
    s.showQuitKeystroke = true;
  }

  /** Sends succeed again: a network error message goes away within NETWORK_ERROR_CLEAR_MS. */
  clearNetworkError(now: number): void {
    const s = this.s;
    if (!s.messageIsNetworkError) return;
    const limit = now + NETWORK_ERROR_CLEAR_MS;
    if (s.messageExpiration === null || s.messageExpiration > limit) s.messageExpiration = limit;
  }

  /** Drops the message if its time is up. */
  expire(now: number): void {
    const s = this.s;
    if (s.message !== '' && s.messageExpiration !== null && now >= s.messageExpiration) {
      s.message = '';
      s.messageIsNetworkError = false;
      s.messageExpiration = null;
      s.showQuitKeystroke = true;
    }
  }

  get message(): string {
    return this.s.message;
  }

  serverLate(now: number): boolean {
    return now - this.s.lastWordFromServer > SERVER_LATE_MS;
  }

  replyLate(now: number): boolean {
    return now - this.s.lastAckedState > REPLY_LATE_MS;
  }

  /** The bar's text at `now` (without expiring anything), or null when no bar shows. */
  text(now: number): string | null {
    const s = this.s;
    const serverLate = this.serverLate(now);
    const replyLate = this.replyLate(now);
    if (s.message === '' && !serverLate && !replyLate) return null;
    const reply = replyLate && !serverLate;
    const kind = reply ? 'reply' : 'contact';
    const since = reply ? s.lastAckedState : s.lastWordFromServer;
    const seconds = (now - since) / 1000;
    // No escape key (e.g. in VS Code, where closing the panel quits): no hint.
    const hint = s.showQuitKeystroke && s.escapeKeyName ? ` [To quit: ${s.escapeKeyName} .]` : '';
    if (s.message === '') return `mosh: Last ${kind} ${humanReadableDuration(seconds, false)} ago.${hint}`;
    if (!serverLate && !replyLate) return `mosh: ${s.message}${hint}`;
    return `mosh: ${s.message} (${humanReadableDuration(seconds, true)} without ${kind}.)${hint}`;
  }

  /** Expires the message, then draws the bar (if due) over row 0 of a copy of `fb`; else returns `fb`. */
  apply(fb: Snapshot, now: number): Snapshot {
    this.expire(now);
    const text = this.text(now);
    if (text === null) return fb;
    return drawBar(fb, text);
  }

  /**
   * Milliseconds until the bar next changes on its own (message expiry, the counter ticking, a late notice
   * starting); Infinity if never. Redraw (apply) then.
   */
  waitTime(now: number): number {
    const s = this.s;
    let wait = Infinity;
    if (s.message !== '' && s.messageExpiration !== null) wait = Math.min(wait, s.messageExpiration - now);
    const serverLate = this.serverLate(now);
    const replyLate = this.replyLate(now);
    if (serverLate || replyLate) {
      const since = replyLate && !serverLate ? s.lastAckedState : s.lastWordFromServer;
      const toNextSecond = 1000 - ((((now - since) % 1000) + 1000) % 1000);
      const slow = now - s.lastWordFromServer >= SLOW_COUNT_UP_AFTER_MS;
      wait = Math.min(wait, toNextSecond + (slow ? SLOW_COUNT_UP_REFRESH_MS - COUNT_UP_REFRESH_MS : 0));
    }
    if (!serverLate) wait = Math.min(wait, s.lastWordFromServer + SERVER_LATE_MS + 1 - now);
    if (!replyLate) wait = Math.min(wait, s.lastAckedState + REPLY_LATE_MS + 1 - now);
    return Math.max(0, wait);
  }
}

/** Row 0 of `fb` replaced by the bar showing `text` (cut at the screen width). */
export function drawBar(fb: Snapshot, text: string): Snapshot {
  const out = new SnapshotOverlay(fb);
  const cols = fb.cols;
  const pad = { text: ' ', style: BAR_PAD_STYLE, width: 1 };
  for (let x = 0; x < cols; x++) out.setCell(0, x, pad);
  out.setWraps(0, false);
  let x = 0;
  let last = -1; // column of the last printed cell, for combining marks
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0xfffd;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) continue;
    const w = glibcWidth(cp);
    if (w === 0) {
      if (last >= 0) {
        const prev = out.cell(0, last);
        out.setCell(0, last, { ...prev, text: prev.text + ch });
      }
      continue;
    }
    if (x + w > cols) break;
    out.setCell(0, x, { text: ch, style: BAR_TEXT_STYLE, width: w });
    last = x;
    x += w;
  }
  if (fb.cursor.y === 0) out.setCursorVisible(false);
  return out.build();
}
