// Our extensions on the server side of a session (ARCHITECTURE.md, "Beyond stock mosh"): when our client says
// hello in its user stream, the session answers with its own hello and starts keeping history for it (the lines
// that leave the emulator's primary screen go into a HistoryRing, within the client's wish and the server's
// bounds); a restored client's hello asks for the history again from a line number. A stock mosh-client never
// says hello, so for it nothing here runs and its states carry nothing new. Not the wire format (statesync/).
import type { Emulator } from '../src/emulator';
import {
  decodeClientHello,
  EXTENSIONS_VERSION,
  FEATURE_AGENT,
  FEATURE_CHANNELS,
  FEATURE_HISTORY,
  type HistoryMark,
  historyMarksEqual,
  HistoryRing,
  SERVER_HISTORY_LINES,
  type ServerHelloInfo,
  type TerminalExtras,
} from '../src/statesync';

/** Up to this many new history lines per HISTORY_FLOOD_INTERVAL_MS go out as they come, with the next frame. */
export const HISTORY_FLOOD_LINES = 1000;
/** In a flood (more lines than that), the rest goes out when the interval is over... */
export const HISTORY_FLOOD_INTERVAL_MS = 2000;
/** ...or once the output has added no line for this long (the flood is over). */
export const HISTORY_QUIET_MS = 50;
/**
 * Most new lines one state adds (a shipment of more goes out in steps, a step once the sender has sent the one
 * before): a diff stays a few dozen datagrams, so a lost one does not hold a large message back, and the screen
 * never waits behind 10000 lines.
 */
export const HISTORY_STEP_LINES = 1000;

export class SessionExtensions {
  private hello: ServerHelloInfo | null = null;
  private ring: HistoryRing | null = null;
  private replayEpoch = 0;
  private replayFrom = 0;
  private mark: HistoryMark | null = null;
  /** The current flood-accounting interval: when it began and the lines shipped in it. */
  private windowStart = -Infinity;
  private windowLines = 0;
  /** When the ring last grew (as seen by extras()). */
  private grewAt = -Infinity;
  private seenCount = 0;
  /** The ring's count when the shipment under way began: the mark steps up to it. */
  private shipTo = 0;
  /** Lines before this are not sent (HistoryMark.sendFrom). */
  private sendFrom = 0;

  constructor(
    private readonly emulator: Emulator,
    private readonly log: (line: string) => void,
    /** The client takes channels (`agent`: and asks for agent forwarding): returns the features granted. */
    private readonly onChannels: (agent: boolean) => string[] = () => [],
  ) {}

  /** An extension event from the client's user stream. */
  event(bytes: Uint8Array): void {
    const h = decodeClientHello(bytes);
    if (h === null) return; // an extension this version does not know
    const lines = h.features.includes(FEATURE_HISTORY) ? Math.min(h.historyLines, SERVER_HISTORY_LINES) : 0;
    if (this.hello === null) {
      const channels = h.features.includes(FEATURE_CHANNELS) ? this.onChannels(h.features.includes(FEATURE_AGENT)) : [];
      const features = [...(lines > 0 ? [FEATURE_HISTORY] : []), ...channels];
      this.hello = Object.freeze({
        version: EXTENSIONS_VERSION,
        features: Object.freeze(features),
        historyLines: lines,
      });
      this.log(
        `Client said hello (extensions version ${h.version}; history ${lines} lines; ${channels.length ? channels.join(', ') : 'no channels'}).`,
      );
      if (lines > 0) this.startHistory(lines);
    }
    if (h.replayFrom !== undefined && this.ring !== null) {
      // A restored client's terminal is new: the next diff resends the history from there.
      this.replayEpoch++;
      this.replayFrom = Math.max(0, Math.min(Number(h.replayFrom), this.ring.count));
    }
  }

  private startHistory(lines: number): void {
    const ring = new HistoryRing(lines);
    this.ring = ring;
    const emulator = this.emulator;
    emulator.captureHistory({
      row: (text, wraps) => ring.addRow(text, wraps),
      plain: (bytes, lines, style) => ring.addPlain(bytes, lines, style, emulator.cols),
      cleared: () => ring.clear(),
      keeps: () => ring.keeps,
    });
  }

  /**
   * What the session's next terminal state carries of the extensions. History lines go out as they come, except
   * in a flood: then a shipment begins at most every HISTORY_FLOOD_INTERVAL_MS and once the flood is over, so a
   * `cat` of a large file costs the lines of a few shipments (each at most the client's wish, the newest), not
   * every line it printed; the terminal still ends with the last lines complete, in order. A shipment goes out
   * in steps of HISTORY_STEP_LINES, the next once `sent` (the history mark of the state the sender sent last)
   * has the one before. A clear or a replay goes out at once, whole. `lastOutput`: when the application last
   * wrote (the session emulates in batches, so the ring grows only when a frame needs the screen: output still
   * coming means the flood is not over).
   */
  extras(now: number, lastOutput = -Infinity, sent: HistoryMark | null = null): TerminalExtras {
    const ring = this.ring;
    if (ring === null) return { hello: this.hello };
    if (ring.count !== this.seenCount) {
      this.seenCount = ring.count;
      this.grewAt = now;
    }
    if (lastOutput > this.grewAt) this.grewAt = lastOutput;
    const m = this.mark;
    const wish = this.hello?.historyLines ?? 0;
    if (
      m === null ||
      m.clearedBefore !== ring.clearedBefore ||
      m.replayEpoch !== this.replayEpoch ||
      m.replayFrom !== this.replayFrom
    ) {
      this.shipTo = ring.count;
      this.sendFrom = Math.max(this.sendFrom, ring.clearedBefore);
      this.setMark(ring, ring.count);
    } else {
      if (ring.count > this.shipTo && this.shipNow(ring.count - this.shipTo, now)) this.shipTo = ring.count;
      if (m.count < this.shipTo && (sent === null || historyMarksEqual(sent, m))) {
        // Lines older than the client keeps when this step begins are skipped for good.
        const from = Math.max(m.count, this.shipTo - wish);
        if (from > m.count) this.sendFrom = from;
        this.setMark(ring, Math.min(this.shipTo, from + HISTORY_STEP_LINES));
      }
    }
    return { hello: this.hello, history: this.mark, ring };
  }

  private setMark(ring: HistoryRing, count: number): void {
    this.mark = Object.freeze({
      count,
      clearedBefore: ring.clearedBefore,
      replayEpoch: this.replayEpoch,
      replayFrom: this.replayFrom,
      sendFrom: this.sendFrom,
    });
  }

  /** Whether `pending` new lines go out now (and are counted against the interval's allowance). */
  private shipNow(pending: number, now: number): boolean {
    if (now - this.windowStart >= HISTORY_FLOOD_INTERVAL_MS) {
      this.windowStart = now;
      this.windowLines = 0;
    } else if (this.windowLines + pending > HISTORY_FLOOD_LINES && now - this.grewAt < HISTORY_QUIET_MS) {
      return false; // a flood: held until the interval is over or the output stops
    }
    this.windowLines += pending;
    return true;
  }

  /**
   * Milliseconds until history held back is due (Infinity: none is). A shipment's next step is due at once once
   * `sent` has the current one (before that, the sender's own pace wakes the session).
   */
  waitTime(now: number, sent: HistoryMark | null = null): number {
    const ring = this.ring;
    const m = this.mark;
    if (ring === null || m === null || m.count === ring.count) return Infinity;
    if (m.count < this.shipTo) return sent === null || historyMarksEqual(sent, m) ? 0 : Infinity;
    return Math.max(0, Math.min(this.windowStart + HISTORY_FLOOD_INTERVAL_MS, this.grewAt + HISTORY_QUIET_MS) - now);
  }
}
