// Our extensions on the server side of a session (ARCHITECTURE.md, "Beyond stock mosh"): when our client says
// hello in its user stream, the session answers with its own hello and starts keeping history for it (the lines
// that leave the emulator's primary screen go into a HistoryRing, within the client's wish and the server's
// bounds); a restored client's hello asks for the history again from a line number. A stock mosh-client never
// says hello, so for it nothing here runs and its states carry nothing new. Not the wire format (statesync/).
import { type Emulator, plainLineText } from '../src/emulator';
import { decodeClientHello, EXTENSIONS_VERSION, FEATURE_HISTORY } from '../src/statesync/extensions';
import { HistoryRing, historyText, type HistoryMark, SERVER_HISTORY_LINES } from '../src/statesync/history';
import type { ServerHelloInfo, TerminalExtras } from '../src/statesync/terminal';

export class SessionExtensions {
  private hello: ServerHelloInfo | null = null;
  private ring: HistoryRing | null = null;
  private replayEpoch = 0;
  private replayFrom = 0;
  private mark: HistoryMark | null = null;

  constructor(
    private readonly emulator: Emulator,
    private readonly log: (line: string) => void,
  ) {}

  /** An extension event from the client's user stream. */
  event(bytes: Uint8Array): void {
    const h = decodeClientHello(bytes);
    if (h === null) return; // an extension this version does not know
    const lines = h.features.includes(FEATURE_HISTORY) ? Math.min(h.historyLines, SERVER_HISTORY_LINES) : 0;
    if (this.hello === null) {
      this.hello = Object.freeze({ version: EXTENSIONS_VERSION, features: Object.freeze(lines > 0 ? [FEATURE_HISTORY] : []), historyLines: lines });
      this.log(`Client said hello (extensions version ${h.version}; history ${lines} lines).`);
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
      row: (row) => ring.add({ text: historyText(row), wraps: row.wraps }),
      text: (line, style) => {
        const cols = emulator.cols;
        ring.addLazy(() => ({ text: Buffer.from(plainLineText(line, style, cols), 'utf8'), wraps: false }), line.length);
      },
      cleared: () => ring.clear(),
    });
  }

  /** What the session's next terminal state carries of the extensions. */
  extras(): TerminalExtras {
    const ring = this.ring;
    if (ring === null) return { hello: this.hello };
    const m = this.mark;
    if (m === null || m.count !== ring.count || m.clearedBefore !== ring.clearedBefore || m.replayEpoch !== this.replayEpoch || m.replayFrom !== this.replayFrom) {
      this.mark = Object.freeze({ count: ring.count, clearedBefore: ring.clearedBefore, replayEpoch: this.replayEpoch, replayFrom: this.replayFrom });
    }
    return { hello: this.hello, history: this.mark, ring };
  }
}
