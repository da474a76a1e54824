// MoshClient: one mosh session seen from the user's side (mosh-protocol.md sections 6, 8.3, 9, 10.2, 10.3).
// It composes the transport (user input stream out, terminal state in), the prediction engine and the
// notification bar, and renders the result as escape sequences against what it last drew, so any
// xterm-compatible screen can show them. Bytes in (`input`), screen updates and events out. It knows nothing of
// VS Code or of a tty: the front ends (src/cli/, src/vscode/) do that.

import { blankRow, clampScreenSize, newFrameBytes, reviveSnapshot, Row, type Snapshot } from '../emulator';
import { BAR_TEXT, NotificationEngine, PredictionEngine } from '../predict';
import {
  encodeClientHello,
  EXTENSIONS_VERSION,
  FEATURE_HISTORY,
  HistoryLog,
  MAX_HISTORY_LINES,
  type SerializedUserStream,
  TerminalState,
  UserStream,
} from '../statesync';
import { AgentForwarding, loadedChannels, savedChannels } from './forwarding';
import { scrollbackOutput } from './scrollback';
import {
  type ClientExit,
  type ClientStatus,
  CONNECT_TIMEOUT,
  CONNECTING_WAKE,
  type ConnectionState,
  type MoshClientEvents,
  type MoshClientOptions,
  type SavedSession,
  type SavedTerminal,
  SEQ_GAP,
} from './clientapi';
import {
  type Clock,
  Connection,
  formatKey,
  OcbAes128,
  parseKey,
  SEND_MINDELAY_CLIENT,
  systemClock,
  Transport,
  WakeTimer,
} from '../transport';

export class MoshClient {
  readonly transport: Transport<UserStream, TerminalState>;
  readonly prediction: PredictionEngine;
  readonly notifications: NotificationEngine;
  private readonly clock: Clock;
  private readonly timer: WakeTimer;
  private lastDrawn: Snapshot | null = null;
  /** History lines wanted (the terminal's scrollback), and the ones received but not yet written. */
  private readonly historyWanted: number;
  private readonly historyLog: HistoryLog;
  /** History lines before this number are in the user's terminal (or were never wanted). */
  private historyWritten = 0;
  private historyCleared = 0;
  private peerReported = false;
  /** Restored: history lines up to the saved count come again from the server (sayHello's replay). */
  private awaitingReplay = false;
  private readonly forwarding: AgentForwarding | null = null;
  /** The overlaid frame `lastDrawn` was made from (so an unchanged frame is not rebuilt). */
  private lastComposed: Snapshot | null = null;
  private lastRemoteNum = 0n;
  private lastTitle: string | null = null;
  private lastBell = 0;
  private lastStatus = '';
  private readonly started: number;
  private heardFrom = false;
  /** The "Nothing received from server" message is up (cleared when the server is first heard). */
  private connectingNotice = false;
  private exited = false;
  private cols: number;
  private rows: number;
  private readonly connectTimeoutMs: number;
  private closing = false;
  private readonly keyText: string;
  /** The sequence floor of the last save handed out (null: never saved). */
  private savedFloor: bigint | null = null;
  /** The floor of the last save the front end confirmed as stored (or the floor a restored session came from). */
  private confirmedFloor: bigint | null = null;
  private saveRequested = false;
  /** Why the last save could not be stored ('' when the last one was). */
  private saveError = '';
  /** Restored, and not yet heard from the server since. */
  private awaitingResume = false;
  private exitResolve!: (e: ClientExit) => void;
  /** Resolves when the session is over. */
  readonly exited$: Promise<ClientExit>;

  constructor(
    private readonly opts: MoshClientOptions,
    private readonly on: MoshClientEvents = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    this.started = this.clock.now();
    ({ cols: this.cols, rows: this.rows } = clampScreenSize(opts.cols, opts.rows));
    this.connectTimeoutMs = opts.connectTimeoutMs ?? CONNECT_TIMEOUT;
    this.exited$ = new Promise((r) => (this.exitResolve = r));
    this.historyWanted = Math.max(0, Math.min(Math.floor(opts.scrollback ?? 0), MAX_HISTORY_LINES));
    this.historyLog = new HistoryLog(Math.max(1, this.historyWanted));
    const key = typeof opts.key === 'string' ? parseKey(opts.key) : opts.key;
    this.keyText = formatKey(key);
    const resume = opts.resume;
    const inbox = AgentForwarding.inbox(opts.forwardAgent); // (where the received states put channel bytes)
    const connection = Connection.client({
      aead: new OcbAes128(key),
      clock: this.clock,
      firstSeq: resume ? BigInt(resume.seqFloor) : 0n,
      server: { address: opts.host, port: opts.port },
      socketFactory: opts.socketFactory,
      onEvent: (e) => {
        if (e.type === 'send-error') this.notifications.setNetworkError(e.text, this.clock.now());
        else if (e.type === 'drop' && e.reason === 'integrity')
          this.notifications.setNotificationString(`Crypto exception: ${e.text}`, this.clock.now());
      },
    });
    this.transport = new Transport<UserStream, TerminalState>({
      connection,
      clock: this.clock,
      initialLocal: new UserStream(),
      initialRemote: TerminalState.initial(this.cols, this.rows, { log: this.historyLog, inbox }),
      sendMinDelay: SEND_MINDELAY_CLIENT,
      // Keystrokes are not held back because a delayed ack just went out (Ctrl-C into a flood).
      paceFromDataOnly: true,
      // A state the server sent that cannot be applied (a protocol mismatch, a screen beyond the size limits) is
      // dropped, and the bar says why.
      onEvent: (e) => {
        if (e.type === 'error') this.notifications.setNotificationString(e.text, this.clock.now());
      },
    });
    if (opts.forwardAgent && inbox)
      this.forwarding = new AgentForwarding(this.transport, inbox, opts.forwardAgent, () => this.timer.kick());
    if (resume) {
      this.transport.restore(resume.transport, this.userCodec, this.terminalCodec);
      this.forwarding?.adoptRestored();
      this.transport.limitAcksTo(this.transport.latestRemote().num);
      this.savedFloor = BigInt(resume.seqFloor);
      // The copy we came from starts at seqFloor too: nothing is sent until a newer floor is stored (confirmSaved).
      this.confirmedFloor = this.savedFloor;
      connection.sendLimit = this.savedFloor;
      this.heardFrom = true; // the server knew us; the bar counts from the save if it stays silent
      this.awaitingResume = true;
      this.lastRemoteNum = this.transport.latestRemote().num;
      if (resume.cols !== this.cols || resume.rows !== this.rows)
        this.transport.currentState.pushResize(this.cols, this.rows);
      // This process's terminal is new: ask our server to send the history again (a stock one ignores it).
      const count = this.transport.latestRemote().state.history?.count ?? 0;
      this.historyWritten = Math.max(0, count - this.historyWanted);
      this.historyCleared = this.transport.latestRemote().state.history?.clearedBefore ?? 0;
      if (this.historyWanted > 0 || this.forwarding) this.sayHello(this.historyWritten);
      this.awaitingReplay = this.historyWanted > 0 && count > this.historyWritten;
    } else {
      this.transport.currentState.pushResize(this.cols, this.rows); // state 1: our window size (as stock)
      if (this.historyWanted > 0 || this.forwarding) this.sayHello();
    }
    this.prediction = new PredictionEngine({
      display: opts.predict ?? 'adaptive',
      predictOverwrite: opts.predictOverwrite,
    });
    this.notifications = new NotificationEngine({ now: this.started, escapeKeyName: opts.quitHint ?? '' });
    connection.onSocketMessage = (msg, from) => {
      this.transport.receive(msg, from);
      this.timer.kickSoon();
    };
    this.timer = new WakeTimer(() => this.step());
    // The first wake-up waits for the caller to hold this object: events never fire from the constructor.
    queueMicrotask(() => this.timer.kick());
  }

  /** Continues a session saved by `save()` in this or another process. */
  static restore(
    saved: SavedSession,
    events: MoshClientEvents = {},
    overrides: Partial<MoshClientOptions> = {},
  ): MoshClient {
    if (saved.version !== 1) throw new Error(`cannot restore a saved session of version ${String(saved.version)}`);
    return new MoshClient(
      {
        host: saved.host,
        port: saved.port,
        key: saved.key,
        cols: saved.cols,
        rows: saved.rows,
        predict: saved.predict,
        predictOverwrite: saved.predictOverwrite,
        forwardAgent: saved.forwardAgent,
        ...overrides,
        resume: saved,
      },
      events,
    );
  }

  /** The session as plain data, for a new process to continue (see SavedSession). */
  save(): SavedSession {
    const floor = this.transport.connection.sequence + SEQ_GAP;
    // Until a save is confirmed stored, the lowest floor a stored copy may hold is the first one handed out.
    if (this.savedFloor === null && this.confirmedFloor === null) this.transport.connection.sendLimit = floor;
    this.savedFloor = floor;
    this.saveRequested = false;
    // The server must never depend on a state this save lacks: acknowledge nothing newer until the next save,
    // and keep our acknowledged state on its side, for a restored copy to diff from.
    this.transport.limitAcksTo(this.transport.latestRemote().num);
    this.transport.sender.limitThrowawayTo(this.transport.sender.sentStateAcked);
    return {
      version: 1,
      host: this.opts.host,
      port: this.opts.port,
      key: this.keyText,
      cols: this.cols,
      rows: this.rows,
      predict: this.prediction.display,
      predictOverwrite: this.opts.predictOverwrite ?? false,
      seqFloor: floor.toString(),
      transport: this.transport.save(this.userCodec, this.terminalCodec),
      savedAt: Date.now(),
      ...(this.opts.forwardAgent ? { forwardAgent: this.opts.forwardAgent } : {}),
    };
  }

  /**
   * The save whose `seqFloor` is `floor` is stored for good (written and flushed): the client may now send up to
   * that floor. Until then it sends nothing at or past the floor of the last stored copy, so that copy and this
   * client can never seal two datagrams with one sequence number (nonce) under this key.
   */
  confirmSaved(floor: bigint | string): void {
    const f = BigInt(floor);
    if (this.confirmedFloor !== null && f <= this.confirmedFloor) return;
    this.confirmedFloor = f;
    this.transport.connection.sendLimit = f;
    if (this.saveError) {
      this.saveError = '';
      this.notifications.clearMessage();
    }
    this.timer.kick();
  }

  /** A save could not be stored: say so in the bar. Sending stops at the last stored floor (see confirmSaved). */
  saveFailed(reason: string): void {
    if (this.exited) return;
    this.saveError = reason;
    this.notifications.setNotificationString(
      `This session could not be saved (${reason}). To never reuse a key, mosh stops sending when the last saved copy's numbers are reached.`,
      this.clock.now(),
      { permanent: true },
    );
    this.timer.kick();
  }

  private readonly userCodec = {
    save: (s: UserStream) => s.serialize(),
    load: (s: SerializedUserStream) => UserStream.deserialize(s),
  };
  private readonly terminalCodec = {
    save: (s: TerminalState): SavedTerminal => ({
      snapshot: s.snapshot,
      echoAck: s.echoAck.toString(),
      hello: s.hello,
      history: s.history,
      channels: savedChannels(s.channels),
    }),
    load: (s: SavedTerminal) =>
      new TerminalState(reviveSnapshot(s.snapshot), BigInt(s.echoAck), {
        hello: s.hello ?? null,
        history: s.history ?? null,
        log: this.historyLog,
        channels: loadedChannels(s.channels),
        inbox: this.forwarding?.inbox,
      }),
  };

  /** Our hello to the server (an extension event a stock mosh-server ignores): we keep history lines, we forward the agent. */
  private sayHello(replayFrom?: number): void {
    const features = [
      ...(this.historyWanted > 0 ? [FEATURE_HISTORY] : []),
      ...(this.forwarding ? AgentForwarding.features : []),
    ];
    this.transport.currentState.pushExt(
      encodeClientHello({
        version: EXTENSIONS_VERSION,
        features,
        historyLines: this.historyWanted,
        replayFrom: replayFrom === undefined ? undefined : BigInt(replayFrom),
      }),
    );
  }

  /** Keystrokes (or pasted text) from the user. */
  input(data: Uint8Array | string, paste?: boolean): void {
    if (this.exited || this.closing || this.transport.sender.shutdownInProgress) return;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (bytes.length === 0) return;
    const now = this.clock.now();
    this.prediction.setLocalFrameSent(this.transport.sender.sentStateLast);
    this.prediction.newUserInput(bytes, this.transport.latestRemote().state.snapshot, now, paste ?? bytes.length > 100);
    this.transport.currentState.pushBytes(bytes);
    this.timer.kick();
  }

  /** The user's terminal changed size. */
  resize(cols: number, rows: number): void {
    ({ cols, rows } = clampScreenSize(cols, rows));
    if (this.exited || (cols === this.cols && rows === this.rows)) return;
    this.cols = cols;
    this.rows = rows;
    if (!this.transport.sender.shutdownInProgress) this.transport.currentState.pushResize(cols, rows);
    this.prediction.reset();
    this.lastDrawn = null; // the user's terminal reflowed: repaint everything
    this.timer.kick();
  }

  /** Shows a message in the notification bar (e.g. a front end's escape-key help). */
  notify(text: string, opts?: { permanent?: boolean; showQuitKeystroke?: boolean; lifetimeMs?: number }): void {
    if (text) this.notifications.setNotificationString(text, this.clock.now(), opts);
    else this.notifications.clearMessage();
    this.timer.kick();
  }

  /** Ends the session with the shutdown handshake; resolves when it is over (acknowledged or timed out). */
  close(message: string = BAR_TEXT.exitingOnUserRequest): Promise<ClientExit> {
    if (!this.exited && !this.closing) {
      this.closing = true;
      if (!this.transport.connection.hasRemoteAddr() || !this.heardFrom) {
        this.finish({ reason: 'no-contact', code: 1, message: this.neverConnectedMessage() });
      } else {
        this.notifications.setNotificationString(message, this.clock.now(), { permanent: true });
        this.transport.startShutdown();
        this.timer.kick();
      }
    }
    return this.exited$;
  }

  /**
   * Stops this client without ending the session: no shutdown handshake, so the server keeps the session for a
   * restored client (save() first). Resolves when the sockets are closed.
   */
  async detach(): Promise<void> {
    if (this.exited) return;
    this.exited = true;
    this.timer.dispose();
    this.forwarding?.dispose();
    await this.transport.close();
  }

  /** Redraw everything on the next frame (e.g. the front end's screen was cleared). */
  repaint(): void {
    this.lastDrawn = null;
    this.timer.kick();
  }

  status(): ClientStatus {
    const now = this.clock.now();
    const rtt = this.transport.connection.rtt;
    const heard = this.transport.connection.lastHeard();
    let state: ConnectionState = 'connected';
    if (this.exited) state = 'gone';
    else if (!this.heardFrom) state = 'connecting';
    else if (heard === null || now - heard > 6500) state = 'waiting';
    return { state, rttMs: rtt.hit ? Math.round(rtt.srtt) : null, lastContactMs: heard === null ? null : now - heard };
  }

  private step(): number {
    if (this.exited) return Infinity;
    const now = this.clock.now();
    const t = this.transport;
    const latest = t.latestRemote();

    if (latest.num !== this.lastRemoteNum || (this.awaitingResume && t.connection.lastHeard() !== null)) {
      this.awaitingResume = false;
      this.lastRemoteNum = latest.num;
      this.heardFrom = true;
      this.prediction.setLocalFrameLateAcked(latest.state.echoAck);
      this.notifications.serverHeard(latest.timestamp);
    }
    this.prediction.setLocalFrameAcked(t.sender.sentStateAcked);
    this.prediction.setSendInterval(t.connection.rtt.sendInterval());
    if (this.heardFrom) this.notifications.serverAcked(t.sender.sentStateAckedTimestamp);

    this.forwarding?.step(now);
    t.tick();
    this.prediction.setLocalFrameSent(t.sender.sentStateLast);
    if (this.savedFloor !== null && t.connection.sequence + SEQ_GAP / 2n > this.savedFloor && !this.saveRequested) {
      this.saveRequested = true;
      this.on.save?.();
    }
    if (t.connection.sendError() === null) this.notifications.clearNetworkError(now);

    // Exit conditions (mosh-protocol.md 6.9).
    if (t.sender.shutdownInProgress && t.sender.shutdownAcknowledged)
      return this.finish({ reason: 'user', code: 0, message: '' });
    if (t.sender.shutdownInProgress && t.sender.shutdownAckTimedOut) {
      return this.finish({
        reason: 'unclean',
        code: 1,
        message:
          'mosh did not shut down cleanly. Please note that the mosh-server process may still be running on the server.',
      });
    }
    if (t.sender.counterpartyShutdownAckSent) return this.finish({ reason: 'server', code: 0, message: '' });

    if (
      this.awaitingResume &&
      this.connectTimeoutMs > 0 &&
      now - this.started >= this.connectTimeoutMs &&
      !t.sender.shutdownInProgress
    ) {
      return this.finish({
        reason: 'gone',
        code: 1,
        message: `The mosh session on ${this.opts.host} is gone: its server did not answer for ${Math.round(this.connectTimeoutMs / 1000)} seconds (it may have timed out, or the host restarted).`,
      });
    }
    if (!this.heardFrom) {
      const waited = now - this.started;
      if (this.connectTimeoutMs > 0 && waited >= this.connectTimeoutMs && !t.sender.shutdownInProgress) {
        this.notifications.setNotificationString(BAR_TEXT.timedOut, now, { permanent: true });
        return this.finish({ reason: 'no-contact', code: 1, message: this.neverConnectedMessage() });
      }
      if (waited >= CONNECTING_WAKE && !this.connectingNotice) {
        this.connectingNotice = true;
        this.notifications.setNotificationString(BAR_TEXT.nothingReceived(this.opts.port), now, { permanent: true });
      }
    } else if (this.connectingNotice) {
      this.connectingNotice = false;
      this.notifications.clearMessage();
    }

    this.render(now);
    this.forwarding?.report(this.opts.host, (s) => this.on.forwarding?.(s));
    this.emitStatus();

    let wait = Math.min(t.waitTime(), this.prediction.waitTime(now), this.notifications.waitTime(now), 1000);
    if (this.forwarding) wait = Math.min(wait, this.forwarding.waitTime(now));
    if (!this.heardFrom) wait = Math.min(wait, CONNECTING_WAKE);
    return wait;
  }

  /**
   * History lines (our server) that the user's terminal does not have yet, as the bytes that put them into its
   * scrollback; '' when there are none. A clear (CSI 3J on the server) clears the terminal's scrollback too.
   */
  private scrollbackUpdate(): string {
    const state = this.transport.latestRemote().state;
    const h = state.history;
    if (!this.peerReported && this.lastRemoteNum > 0n) {
      this.peerReported = true;
      this.on.peer?.(state.hello);
    }
    if (h === null || this.historyWanted === 0) return '';
    let out = '';
    if (h.clearedBefore > this.historyCleared) {
      this.historyCleared = h.clearedBefore;
      out += '\x1b[3J';
    }
    if (h.count <= this.historyWritten) return out;
    // A restored client asked for the history again: the saved state's count is not lines it holds. Wait for them.
    if (this.awaitingReplay) {
      if (this.historyLog.size === 0) return out;
      this.awaitingReplay = false;
    }
    const from = Math.max(this.historyWritten, h.count - this.historyWanted, h.clearedBefore);
    // A line whose last row so far wraps continues in rows still on the server's screen: it waits for them, so the
    // terminal gets it whole (and can reflow it) instead of cut in two.
    let end = h.count;
    while (end > from && this.historyLog.get(end - 1)?.wraps === true) end--;
    const lines = [];
    for (let n = from; n < end; n++) {
      const line = this.historyLog.get(n);
      if (line) lines.push(line);
    }
    this.historyWritten = end;
    this.historyLog.dropBefore(end);
    if (lines.length === 0) return out;
    out += scrollbackOutput(lines, this.cols, this.rows, this.lastDrawn?.modes.altScreen === true);
    this.lastDrawn = null; // the screen was emptied: repaint it all
    return out;
  }

  private render(now: number): void {
    const history = this.scrollbackUpdate();
    const fb = this.transport.latestRemote().state.snapshot;
    this.prediction.cull(fb, now);
    const composed = this.notifications.apply(this.prediction.apply(fb), now);
    let shown = this.lastDrawn;
    if (composed !== this.lastComposed || shown === null) {
      this.lastComposed = composed;
      shown = composed;
      // The user's terminal stays in application-cursor-key mode; the server translates arrows (as stock).
      if (!shown.modes.applicationCursorKeys)
        shown = { ...shown, modes: { ...shown.modes, applicationCursorKeys: true } };
      if (shown.cols !== this.cols || shown.rows !== this.rows) shown = fitTo(shown, this.cols, this.rows);
      if (this.opts.allowClipboardWrite === false && shown.clipboard !== null) shown = { ...shown, clipboard: null };
    }
    if (this.lastDrawn !== shown) {
      // While our server fills the terminal's scrollback with history lines, frames never scroll it themselves.
      const noScroll = this.historyWanted > 0 && this.transport.latestRemote().state.history !== null;
      const out = newFrameBytes(this.lastDrawn !== null, this.lastDrawn, shown, { vocabulary: 'xterm', noScroll });
      this.lastDrawn = shown;
      if (history !== '') this.on.screen?.(Buffer.concat([Buffer.from(history, 'utf8'), out]));
      else if (out.length > 0) this.on.screen?.(out);
    } else if (history !== '') {
      this.on.screen?.(Buffer.from(history, 'utf8'));
    }
    if (fb.title !== this.lastTitle && fb.titleSet) {
      this.lastTitle = fb.title;
      this.on.title?.(fb.title);
    }
    if (fb.bellCount > this.lastBell) {
      this.lastBell = fb.bellCount;
      this.on.bell?.();
    }
  }

  private emitStatus(): void {
    if (!this.on.status) return;
    const s = this.status();
    const key = `${s.state}|${s.rttMs}|${s.lastContactMs === null ? '' : Math.floor(s.lastContactMs / 1000)}`;
    if (key === this.lastStatus) return;
    this.lastStatus = key;
    this.on.status(s);
  }

  private neverConnectedMessage(): string {
    return (
      `mosh did not make a successful connection to ${this.opts.host}:${this.opts.port}.\n` +
      'Please verify that UDP port ' +
      this.opts.port +
      ' is not firewalled and can reach the server.\n\n' +
      '(By default, mosh uses a UDP port between 60000 and 61000.)'
    );
  }

  private finish(e: ClientExit): number {
    if (this.exited) return Infinity;
    this.exited = true;
    this.timer.dispose();
    this.forwarding?.dispose();
    this.render(this.clock.now());
    this.emitStatus();
    void this.transport.close().then(() => {
      this.on.exit?.(e);
      this.exitResolve(e);
    });
    return Infinity;
  }
}

/**
 * The server's frame at another size (between our resize and the server's answer): cropped or padded with
 * blank rows/cells so the differ can draw it on the user's terminal as it is now.
 */
function fitTo(s: Snapshot, cols: number, rows: number): Snapshot {
  const lines: Row[] = [];
  for (let y = 0; y < rows; y++) {
    const row = s.lines[y];
    if (!row) {
      lines.push(blankRow(cols));
      continue;
    }
    const text = row.text.slice(0, cols);
    const style = row.style.slice(0, cols);
    let widths = row.widths ? row.widths.slice(0, cols) : null;
    // A wide character cut in half at the right edge becomes a blank.
    if (widths && widths[cols - 1] === '2') {
      text[cols - 1] = '';
      widths = widths.slice(0, cols - 1) + '1';
    }
    while (text.length < cols) {
      text.push('');
      style.push('');
      if (widths) widths += '1';
    }
    lines.push(Row.fromCells(text, style, widths, row.wraps && cols >= s.cols));
  }
  return {
    ...s,
    cols,
    rows,
    lines,
    cursor: { ...s.cursor, x: Math.min(s.cursor.x, cols - 1), y: Math.min(s.cursor.y, rows - 1) },
  };
}
