// One mosh-server session (mosh-protocol.md sections 6, 7 and 10.1): the user's shell in a pty, the
// authoritative screen in an emulator, and the SSP transport syncing that screen to the client while the
// client's keystrokes and resizes flow back into the pty. One event loop with a single timer. Not the command
// line, binding or detaching (main.ts).

import type { IPty } from '@lydell/node-pty';
import { clampScreenSize, Emulator } from '../src/emulator';
import {
  decodeChannelEvent,
  decodeClientHello,
  EchoAckTracker,
  FEATURE_AGENT,
  FEATURE_CHANNELS,
  KIND_AGENT,
  TerminalState,
  UserStream,
} from '../src/statesync';
import { SessionExtensions } from './extensions';
import {
  type Clock,
  Connection,
  type Endpoint,
  OcbAes128,
  type PacketSocket,
  SEND_MINDELAY_SERVER,
  systemClock,
  Transport,
  WakeTimer,
} from '../src/transport';
import { KeyTranslator } from './keys';
import { HeapGuard } from '../src/common';
import { ScreenFeed } from './screenfeed';
import { AgentSocket } from './agentsocket';
import { ChannelHost } from './channelhost';
import { spawnPty } from './ptyspawn';

export const NO_CLIENT_TIMEOUT = 60_000;
export const UNCONNECTED_WAKE_CAP = 5_000;

export interface SessionOptions {
  key: Buffer;
  socket: PacketSocket;
  family: 'udp4' | 'udp6';
  /** The program to run and its arguments. */
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  cols: number;
  rows: number;
  /** Seconds without a new client state before shutting down (MOSH_SERVER_NETWORK_TMOUT), 0 = never. */
  networkTimeout: number;
  /** Seconds without a client state after which SIGUSR1 shuts down (MOSH_SERVER_SIGNAL_TMOUT), 0 = always. */
  signalTimeout: number;
  log: (line: string) => void;
  clock?: Clock;
  /** Collects garbage sooner in output floods (default: HeapGuard.forThisProcess()). */
  heapGuard?: HeapGuard;
}

export type ExitReason =
  'shell-exited' | 'client-quit' | 'no-client' | 'network-timeout' | 'signal' | 'shutdown-timeout';

export class ServerSession {
  readonly transport: Transport<TerminalState, UserStream>;
  readonly emulator: Emulator;
  private readonly timer: WakeTimer;
  private readonly clock: Clock;
  private readonly keys = new KeyTranslator();
  private readonly echo = new EchoAckTracker();
  private child: IPty | null = null;
  /** Pty output into the emulator, and the emulator's screen into the sender. */
  private readonly feed: ScreenFeed;
  private readonly heapGuard: HeapGuard;
  private consumedCount = 0;
  private consumedNum = 0n;
  private readonly started: number;
  private lastClientState: number | null = null;
  private exitReason: ExitReason | null = null;
  private finished = false;
  private shellExited = false;
  private resolveDone!: (r: ExitReason) => void;
  /** Resolves with the reason once the session is over and everything is closed. */
  readonly done: Promise<ExitReason>;

  /** Our extensions for a client that said hello (history); nothing for a stock client. */
  private readonly extensions: SessionExtensions;
  /** Channels (ours): on once a client said hello with them; the agent's socket if it asked for forwarding. */
  private readonly channels: ChannelHost;
  private channelsOn = false;
  private agentSocket: AgentSocket | null = null;

  constructor(private readonly opts: SessionOptions) {
    this.clock = opts.clock ?? systemClock;
    this.started = this.clock.now();
    this.done = new Promise((r) => (this.resolveDone = r));
    this.emulator = new Emulator(opts.cols, opts.rows);
    this.extensions = new SessionExtensions(this.emulator, opts.log, (agent) => this.startChannels(agent));
    // The application's queries (DA, DSR, ...) are answered by our emulator, as stock mosh-server does.
    this.emulator.onReply((data) => this.child?.write(data));
    this.channels = new ChannelHost({ kick: () => this.timer.kick(), log: opts.log });
    const connection = Connection.server({
      aead: new OcbAes128(opts.key),
      clock: this.clock,
      socket: opts.socket,
      family: opts.family,
      onEvent: (e) => {
        if (e.type === 'roam') opts.log(`Server now attached to client at ${e.to.address}:${e.to.port}`);
        else if (e.type === 'detached') opts.log('Server now detached from client.');
        else if (e.type === 'drop' && opts.log) opts.log(`Dropped a datagram: ${e.text}`);
      },
    });
    this.transport = new Transport<TerminalState, UserStream>({
      connection,
      clock: this.clock,
      initialLocal: new TerminalState(this.emulator.snapshot(), 0n, { channelSource: this.channels }),
      initialRemote: new UserStream(),
      sendMinDelay: SEND_MINDELAY_SERVER,
      onEvent: (e) => e.type === 'error' && opts.log(e.text),
    });
    this.feed = new ScreenFeed(this.emulator, this.transport.sender, this.clock, (now, lastOutput, sent) =>
      this.extensions.extras(now, lastOutput, sent),
    );
    this.heapGuard = opts.heapGuard ?? HeapGuard.forThisProcess();
    this.timer = new WakeTimer(() => this.step());
  }

  /** Feed one datagram from the socket. */
  receive(msg: Buffer, from: Endpoint): void {
    this.transport.receive(msg, from);
    this.timer.kick();
  }

  start(): void {
    this.timer.kick();
  }

  /** SIGTERM/SIGINT: shut down with the handshake (at once if no client ever came or we are already at it). */
  terminate(): void {
    if (!this.transport.connection.hasRemoteAddr() || this.transport.sender.shutdownInProgress) this.finish('signal');
    else this.beginShutdown('signal');
  }

  /** SIGUSR1: shut down if the client has been silent for the signal timeout (or always, if it is 0). */
  signalUsr1(): void {
    const now = this.clock.now();
    const quiet = this.lastClientState === null ? Infinity : now - this.lastClientState;
    if (this.opts.signalTimeout <= 0 || quiet >= this.opts.signalTimeout * 1000) this.terminate();
  }

  private beginShutdown(reason: ExitReason): void {
    if (this.exitReason === null) this.exitReason = reason;
    // The shutdown freezes the state: it carries the screen as the application left it.
    if (!this.transport.sender.shutdownInProgress) this.feed.publish(this.echo.update(this.clock.now()), true);
    this.transport.startShutdown();
    this.timer.kick();
  }

  private step(): number {
    if (this.finished) return Infinity;
    const now = this.clock.now();
    const t = this.transport;
    const latest = t.latestRemote();

    if (latest.num !== this.consumedNum) {
      this.consumedNum = latest.num;
      this.lastClientState = now;
      this.consumeInput(latest.state, latest.num, now);
      t.pruneReceived();
    }

    if (!t.sender.shutdownInProgress) {
      this.feed.publish(this.echo.update(now));
      if (this.channelsOn) {
        const live = t.currentState;
        // Bytes join the state only when a background frame may leave and no screen update waits to go: a
        // keystroke's echo never carries them.
        const move = now >= t.sender.backgroundPaceTime && !this.foregroundPending();
        const table = this.channels.update(live.channels, t.sender.sentStates[0].state.channels, move);
        if (table !== live.channels) t.setCurrentState(live.withChannels(table));
      }
    }
    t.tick();
    this.heapGuard.check();

    // Exit conditions (mosh-protocol.md 6.9): our shutdown acknowledged or timed out, or the client's acknowledged.
    if (t.sender.shutdownInProgress && t.sender.shutdownAcknowledged)
      return this.finish(this.exitReason ?? 'shell-exited');
    if (t.sender.shutdownInProgress && t.sender.shutdownAckTimedOut)
      return this.finish(this.exitReason === 'shell-exited' ? 'shell-exited' : 'shutdown-timeout');
    if (t.sender.counterpartyShutdownAckSent) return this.finish('client-quit');
    if (this.shellExited && !t.connection.hasRemoteAddr()) return this.finish('shell-exited');

    if (this.lastClientState === null && now - this.started >= NO_CLIENT_TIMEOUT) {
      this.opts.log('No connection within 60 seconds.');
      return this.finish('no-client');
    }
    if (
      this.opts.networkTimeout > 0 &&
      this.lastClientState !== null &&
      !t.sender.shutdownInProgress &&
      now - this.lastClientState >= this.opts.networkTimeout * 1000
    ) {
      this.opts.log(`Network idle for ${this.opts.networkTimeout} seconds.`);
      this.beginShutdown('network-timeout');
      t.tick();
    }

    const sent = t.sender.sentStates;
    let wait = Math.min(
      t.waitTime(),
      this.echo.waitTime(now),
      this.feed.waitTime(),
      this.extensions.waitTime(now, sent[sent.length - 1].state.history),
    );
    if (this.lastClientState === null)
      wait = Math.min(wait, UNCONNECTED_WAKE_CAP, this.started + NO_CLIENT_TIMEOUT - now);
    if (t.sender.shutdownInProgress) wait = Math.min(wait, UNCONNECTED_WAKE_CAP);
    if (this.channelsOn && !this.foregroundPending() && this.channels.canMove(t.sender.sentStates[0].state.channels))
      wait = Math.min(wait, t.sender.backgroundPaceTime - now);
    if (this.opts.networkTimeout > 0 && this.lastClientState !== null)
      wait = Math.min(wait, this.lastClientState + this.opts.networkTimeout * 1000 - now);
    return Math.max(0, wait);
  }

  private consumeInput(stream: UserStream, num: bigint, now: number): void {
    const runs = stream.runsSince(Math.max(this.consumedCount, stream.retainedFrom));
    this.consumedCount = stream.count;
    if (runs.length === 0) return;
    let hadInput = false;
    for (let i = 0; i < runs.length; i++) {
      const r = runs[i];
      if (r.type === 'ext') {
        // Ours (our client's hello, a channel event). Not input.
        this.extensionEvent(r.bytes);
        continue;
      }
      if (r.type === 'resize') {
        // Only the last of a run of consecutive resizes matters.
        if (i + 1 < runs.length && runs[i + 1].type === 'resize') continue;
        this.resize(r.width, r.height);
        hadInput = true;
      } else {
        hadInput = true;
        if (!this.child) continue;
        this.feed.flush(); // the cursor key mode as the output so far left it
        const bytes = this.keys.translate(r.bytes, this.emulator.snapshot().modes.applicationCursorKeys);
        // With encoding null, node-pty writes what it is given to the pty as is; a Buffer keeps the user's bytes
        // exact (its typings only admit strings).
        if (bytes.length) this.child.write(bytes as unknown as string);
      }
    }
    if (hadInput) {
      this.echo.registerInput(num, now);
      this.feed.userInput();
    }
    if (!this.child && !this.shellExited) this.spawnChild();
  }

  private resize(cols: number, rows: number): void {
    // A client's window size is clamped to what a terminal may be (emulator/limits.ts), never allocated as asked.
    ({ cols, rows } = clampScreenSize(Math.max(2, cols), rows));
    if (cols === this.emulator.cols && rows === this.emulator.rows) return;
    this.feed.flush(); // output the application wrote before it learns of the new size
    this.emulator.resize(cols, rows);
    this.feed.touch();
    try {
      this.child?.resize(cols, rows);
    } catch {
      /* the child is gone */
    }
  }

  /** The current state has a change other than channel bytes that has not been sent yet. */
  private foregroundPending(): boolean {
    const t = this.transport;
    const live = t.currentState;
    const back = t.sender.sentStates[t.sender.sentStates.length - 1].state;
    return !live.equals(back) && !live.backgroundChangeFrom(back);
  }

  /** One of our extension events: the client's hello (extensions.ts), or a channel event. Anything else is ignored. */
  private extensionEvent(bytes: Uint8Array): void {
    if (decodeClientHello(bytes) !== null) return this.extensions.event(bytes);
    const e = decodeChannelEvent(bytes);
    if (e !== null && this.channelsOn) this.channels.event(e);
  }

  /**
   * The client takes channels (and asked for agent forwarding): the features granted, for our hello; the agent's
   * socket for the shell (spawned after this, at the end of the first client state). Once per session.
   */
  private startChannels(agent: boolean): string[] {
    if (this.channelsOn) return [];
    this.channelsOn = true;
    this.transport.sender.isBackground = (current, base) => current.backgroundChangeFrom(base);
    const features = [FEATURE_CHANNELS];
    if (agent && !this.child && !this.shellExited) {
      const made = AgentSocket.create((socket) => this.channels.accept(socket, KIND_AGENT));
      if (made instanceof AgentSocket) {
        this.agentSocket = made;
        features.push(FEATURE_AGENT);
        this.opts.log(`agent forwarding: ${made.path}`);
      } else {
        this.channels.setAgentError(made.error);
        this.opts.log(`agent forwarding is off: ${made.error}`);
      }
    } else if (agent) {
      this.channels.setAgentError('the session was already running when agent forwarding was asked for');
    }
    return features;
  }

  /** The shell starts once the first client state has arrived (sized to the client), as stock does. */
  private spawnChild(): void {
    try {
      // Output is gathered and emulated in batches (see ScreenFeed), which copies it (the read buffer is reused).
      const onOutput = (d: Uint8Array) => {
        if (this.finished) return;
        if (this.feed.output(d)) this.timer.kick();
      };
      this.child = spawnPty(
        this.opts.file,
        this.opts.args,
        {
          name: this.opts.env.TERM ?? 'xterm-256color',
          cols: this.emulator.cols,
          rows: this.emulator.rows,
          cwd: this.opts.cwd,
          env: this.agentSocket ? { ...this.opts.env, SSH_AUTH_SOCK: this.agentSocket.path } : this.opts.env,
        },
        onOutput,
      ).pty;
    } catch (e) {
      const text = `Could not start ${this.opts.file}: ${(e as Error).message}\r\n`;
      this.emulator.write(text);
      this.feed.touch();
      this.opts.log(text.trim());
      this.shellExited = true;
      this.beginShutdown('shell-exited');
      return;
    }
    this.child.onExit(() => {
      if (this.finished) return;
      this.shellExited = true;
      this.child = null;
      this.beginShutdown('shell-exited');
    });
  }

  private finish(reason: ExitReason): number {
    if (this.finished) return Infinity;
    this.finished = true;
    this.exitReason = reason;
    this.timer.dispose();
    this.channels.closeAll();
    this.agentSocket?.close();
    const child = this.child;
    this.child = null;
    if (child) {
      try {
        child.kill('SIGHUP');
      } catch {
        /* already gone */
      }
    }
    this.emulator.dispose();
    void this.transport.close().then(() => this.resolveDone(reason));
    return Infinity;
  }
}
