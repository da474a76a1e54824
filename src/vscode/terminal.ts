// A mosh terminal panel: a VS Code Pseudoterminal over MoshClient. Connecting (ssh bootstrap) shows progress;
// then bytes flow both ways, resizes follow the panel, the tab is named after the host and the remote title,
// and closing the panel ends the remote session with the handshake. What it runs there (command, starting folder,
// per-host settings) comes from its PanelSpec and mosh.hosts. Thin glue: the session logic is MoshClient.
import * as vscode from 'vscode';
import { randomUUID } from 'node:crypto';
import {
  type ClientExit,
  type ClientStatus,
  type ForwardAgentTarget,
  type ForwardingStatus,
  MoshClient,
  type MoshClientEvents,
  type SavedSession,
  setPageantProvider,
} from '../client';
import type { Prompter } from '../ssh';
import { sshCode } from './load';
import { applyHostSettings } from './hostsettings';
import type { PanelSpec, SessionStore } from './persist';
import type { MoshSettings } from './settings';
import { remoteCommand } from './target';

/** How often an open panel saves its session (it also saves when the client asks). */
const SAVE_INTERVAL_MS = 3000;

// Pageant (Windows) speaks no socket: forwarded agent connections reach it through the ssh layer, loaded then.
if (process.platform === 'win32') setPageantProvider(() => sshCode().pageantStream());

/** Where to reach a freshly started mosh server (the result of the ssh bootstrap). */
export interface ServerEndpoint {
  host: string;
  port: number;
  key: string;
  /** Which server runs there, for the log: e.g. "bundled (node v20)" or "system mosh-server". */
  server?: string;
  /** The agent to forward (mosh.forwardAgent or the host's ForwardAgent, with our server); absent: none. */
  forwardAgent?: ForwardAgentTarget;
  /** Forwarding was asked for but the server cannot do it: why. */
  forwardingOff?: string;
}

export interface BootstrapRequest {
  target: string;
  /** The settings for this host (global ones with mosh.hosts applied). */
  settings: MoshSettings;
  /** The remote command (argv) instead of the login shell in the home folder. */
  command?: string[];
  prompter: Prompter;
  /** Reports a step ("ssh", "deploy", "start") for the progress notification. */
  progress: (step: string) => void;
  log: (line: string) => void;
  /** Aborted when the user cancels (the notification's Cancel button, or the panel closed): ends every step. */
  signal?: AbortSignal;
}

export type Bootstrap = (req: BootstrapRequest) => Promise<ServerEndpoint>;

export interface TerminalDeps {
  bootstrap: Bootstrap;
  settings: () => MoshSettings;
  prompter: Prompter;
  log: vscode.LogOutputChannel;
  /** Called with every status change of this terminal (for the status bar). */
  onStatus: (t: MoshTerminal, s: ClientStatus) => void;
  onClosed: (t: MoshTerminal) => void;
  /** Starts a fresh session like this panel's (same host, command, folder), in place of this panel. */
  again: (t: MoshTerminal) => void;
  store: SessionStore;
}

/** A panel saved before a reload or restart: its id and saved session. */
export interface ResumeInfo {
  id: string;
  session: SavedSession;
}

export class MoshTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  private readonly nameEmitter = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  readonly onDidChangeName = this.nameEmitter.event;
  client: MoshClient | null = null;
  private cols = 80;
  private rows = 24;
  private closedByUser = false;
  lastStatus: ClientStatus = { state: 'connecting', rttMs: null, lastContactMs: null };
  readonly id: string;
  /** Where this panel's session runs (UDP address and port), once known. */
  endpoint: { host: string; port: number } | null = null;
  private saveTimer: NodeJS.Timeout | null = null;
  private ended_ = false;
  /** The host, as named in the tab and the status bar. */
  readonly target: string;

  /** `resume`: a panel saved before a reload or restart, to continue instead of connecting anew. */
  constructor(
    readonly spec: PanelSpec,
    private readonly deps: TerminalDeps,
    private readonly resume?: ResumeInfo,
  ) {
    this.target = spec.target;
    this.id = resume?.id ?? randomUUID();
  }

  /** Whether the session is over (ended, ending, or given up to another window). */
  get ended(): boolean {
    return this.ended_;
  }

  open(dims: vscode.TerminalDimensions | undefined): void {
    if (dims) {
      this.cols = dims.columns;
      this.rows = dims.rows;
    }
    if (this.resume) this.resumeSession(this.resume.session);
    else
      this.connect().catch((e: Error) => {
        this.deps.log.error(`${this.target}: ${e.stack ?? e.message}`);
        this.writeEmitter.fire(`\r\n\x1b[31mMosh could not start the session: ${e.message}\x1b[0m\r\n`);
        this.closeEmitter.fire(1);
      });
  }

  private events(firstFrame: () => void = () => undefined): MoshClientEvents {
    return {
      screen: (d) => this.writeEmitter.fire(d.toString('utf8')),
      forwarding: (f) => this.forwardingKnown(f),
      title: (t) => this.nameEmitter.fire(t ? `${this.target}: ${t}` : this.target),
      status: (s) => {
        if (s.state !== 'connecting') firstFrame();
        this.lastStatus = s;
        this.deps.onStatus(this, s);
      },
      exit: (e) => {
        firstFrame();
        this.exited(e);
      },
      save: () => void this.persist(),
      peer: (hello) => {
        if (hello === null)
          this.deps.log.info(
            `${this.target}: the host runs the system mosh-server: scrollback is partial (only what the screen shows scrolls into it)`,
          );
        else
          this.deps.log.info(
            `${this.target}: our server (extensions ${hello.features.join(', ') || 'none'}; ${hello.historyLines} history lines kept)`,
          );
      },
    };
  }

  private resumeSession(session: SavedSession): void {
    this.deps.log.info(`${this.target}: resuming the saved session with ${session.host}:${session.port}`);
    this.endpoint = { host: session.host, port: session.port };
    this.nameEmitter.fire(this.target);
    try {
      const settings = this.deps.settings();
      this.client = MoshClient.restore(session, this.events(), {
        cols: this.cols,
        rows: this.rows,
        quitHint: '',
        allowClipboardWrite: settings.allowClipboardWrite,
        scrollback: settings.scrollback,
      });
    } catch (e) {
      this.deps.log.error(`${this.target}: cannot resume: ${(e as Error).message}`);
      this.deps.store
        .remove(this.id)
        .catch((err: Error) =>
          this.deps.log.warn(`${this.target}: could not forget the saved session: ${err.message}`),
        );
      this.writeEmitter.fire(`\x1b[31mThe saved mosh session could not be resumed: ${(e as Error).message}\x1b[0m\r\n`);
      this.closeEmitter.fire(1);
      return;
    }
    this.startSaving();
  }

  /** Saves now, and then every few seconds while the session lasts. */
  private startSaving(): void {
    void this.persist();
    this.saveTimer = setInterval(() => void this.persist(), SAVE_INTERVAL_MS);
    this.saveTimer.unref?.();
  }

  /**
   * Stores the session for a panel that comes back after a reload (no-op once it has ended), and renews this
   * window's lease on it. The client sends past its last stored sequence floor only once the store confirms the
   * new one; a failed store is said in the panel's bar and the log. Never rejects.
   */
  async persist(): Promise<void> {
    const client = this.client;
    if (!client || this.ended_) return;
    const lease = await this.deps.store.leases.claim(this.id).catch((e: Error) => {
      this.deps.log.warn(`${this.target}: could not renew the session's lease: ${e.message}`);
      return { ok: true as const };
    });
    if (!lease.ok) {
      // Another window took the session while this one did not renew its lease (a frozen extension host):
      // two clients on one key would fight over the server, so this one lets go.
      this.deps.log.warn(`${this.target}: another VS Code window runs this session now; this panel lets go of it`);
      this.ended_ = true;
      if (this.saveTimer) clearInterval(this.saveTimer);
      await client.detach();
      this.writeEmitter.fire('\r\n\x1b[33mThis mosh session is now open in another VS Code window.\x1b[0m\r\n');
      return;
    }
    if (this.ended_) return; // ended while the lease was renewed: its saved copy is being forgotten, not rewritten
    const saved = client.save();
    try {
      await this.deps.store.save({ ...this.spec, id: this.id }, saved);
    } catch (e) {
      const why = (e as Error).message || String(e);
      this.deps.log.warn(`${this.target}: could not save the session: ${why}`);
      client.saveFailed(why);
      return;
    }
    client.confirmSaved(saved.seqFloor);
  }

  /** The window is going away (reload, quit): keep the remote session for the panel to come back. */
  async keep(): Promise<void> {
    if (this.saveTimer) clearInterval(this.saveTimer);
    if (!this.client || this.ended_) return;
    await this.persist();
    await this.client.detach();
    // The next instance of this window may take the session at once.
    await this.deps.store.leases.release(this.id).catch(() => undefined);
    this.deps.log.info(`${this.target}: session kept for the next window`);
  }

  private async connect(): Promise<void> {
    const { log } = this.deps;
    const global = this.deps.settings();
    const { settings, command: hostCommand, resolved } = applyHostSettings(global, global.hosts, this.target);
    for (const problem of resolved.problems) log.warn(`${this.target}: ${problem} (ignored)`);
    for (const [field, key] of Object.entries(resolved.from))
      log.info(`${this.target}: ${field} from mosh.hosts["${key}"]`);
    if (this.spec.command !== undefined) log.info(`${this.target}: runs the command given after "--"`);
    if (this.spec.cwd) log.info(`${this.target}: starts in ${this.spec.cwd}`);
    const command = remoteCommand({ cwd: this.spec.cwd, command: this.spec.command ?? hostCommand });
    this.writeEmitter.fire(`\x1b[2mConnecting to ${this.target}...\x1b[0m\r\n`);
    let endpoint: ServerEndpoint;
    let firstFrame: () => void = () => undefined;
    const shown = new Promise<void>((resolve) => (firstFrame = resolve));
    const cancel = new AbortController();
    this.cancelConnect = () => cancel.abort();
    const bootstrapped = new Promise<ServerEndpoint>((resolve, reject) => {
      void vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Mosh: ${this.target}`, cancellable: true },
        async (progress, token) => {
          // Cancel: the bootstrap stops where it is (a question goes away, the ssh connection closes, and whatever
          // it started on the host ends with it); after the bootstrap, it ends the session being opened.
          token.onCancellationRequested(() => {
            cancel.abort();
            firstFrame();
            if (this.client && !this.ended_) this.end();
          });
          try {
            resolve(
              await this.deps.bootstrap({
                target: this.target,
                settings,
                command,
                signal: cancel.signal,
                prompter: this.deps.prompter,
                progress: (step) => {
                  log.info(`${this.target}: ${step}`);
                  progress.report({ message: step });
                },
                log: (line) => log.info(`${this.target}: ${line}`),
              }),
            );
          } catch (e) {
            reject(e);
            return;
          }
          // The notification stays until the first frame from the server is on screen (or the session ends).
          progress.report({ message: 'waiting for the first frame...' });
          await shown;
        },
      );
    });
    try {
      endpoint = await bootstrapped;
    } catch (e) {
      const message = (e as Error).message;
      if (cancel.signal.aborted) {
        log.info(`${this.target}: ${message}`);
        this.writeEmitter.fire(`\r\n\x1b[33m${message}\x1b[0m\r\n`);
        this.closeEmitter.fire(1);
        return;
      }
      log.error(`${this.target}: ${message}`);
      this.writeEmitter.fire(`\r\n\x1b[31m${message.replace(/\n/g, '\r\n')}\x1b[0m\r\n`);
      this.offerHelp(message).catch((err: Error) => this.deps.log.warn(`${this.target}: ${err.message}`));
      this.closeEmitter.fire(1);
      return;
    }
    if (this.closedByUser) return firstFrame();
    log.info(
      `${this.target}: mosh server at ${endpoint.host}:${endpoint.port}${endpoint.server ? ` (${endpoint.server})` : ''}`,
    );
    if (endpoint.forwardingOff) this.forwardingKnown({ on: false, reason: endpoint.forwardingOff });
    this.nameEmitter.fire(this.target);
    this.endpoint = { host: endpoint.host, port: endpoint.port };
    this.client = new MoshClient(
      {
        host: endpoint.host,
        port: endpoint.port,
        key: endpoint.key,
        forwardAgent: endpoint.forwardAgent,
        cols: this.cols,
        rows: this.rows,
        predict: settings.predictionDisplay,
        predictOverwrite: settings.predictOverwrite,
        allowClipboardWrite: settings.allowClipboardWrite,
        scrollback: settings.scrollback,
        quitHint: '',
      },
      this.events(firstFrame),
    );
    this.startSaving();
  }

  /** Agent forwarding was asked for: the log says whether it is on; if it is off, a notification says why (once). */
  private forwardingKnown(f: ForwardingStatus): void {
    if (f.on) {
      this.deps.log.info(`${this.target}: ssh agent forwarding is on`);
      return;
    }
    this.deps.log.warn(`${this.target}: ssh agent forwarding is off: ${f.reason}`);
    void vscode.window.showWarningMessage(`Mosh: ssh agent forwarding to ${this.target} is off: ${f.reason}.`);
  }

  private async offerHelp(message: string): Promise<void> {
    const choice = await vscode.window.showErrorMessage(
      `Mosh could not connect to ${this.target}: ${message.split('\n')[0]}`,
      'Retry',
      'Open SSH Config',
      'Show Log',
    );
    if (choice === 'Retry') this.deps.again(this);
    else if (choice === 'Open SSH Config') await sshCode().openSshConfig(this.deps.settings().sshConfigFile);
    else if (choice === 'Show Log') this.deps.log.show();
  }

  private exited(e: ClientExit): void {
    this.ended_ = true;
    if (this.saveTimer) clearInterval(this.saveTimer);
    this.forget();
    this.deps.log.info(`${this.target}: session ended (${e.reason})${e.message ? `: ${e.message}` : ''}`);
    this.lastStatus = { ...this.lastStatus, state: 'gone' };
    this.deps.onStatus(this, this.lastStatus);
    if (e.message) {
      this.writeEmitter.fire(`\r\n\x1b[31m${e.message.replace(/\n/g, '\r\n')}\x1b[0m\r\n`);
      const actions = e.reason === 'gone' ? ['Start a New Session', 'Show Log'] : ['Show Log'];
      void vscode.window.showErrorMessage(`Mosh: ${e.message.split('\n')[0]}`, ...actions).then((c) => {
        if (c === 'Show Log') this.deps.log.show();
        else if (c === 'Start a New Session') this.deps.again(this);
      });
      if (e.reason === 'gone') return; // the panel stays, saying so, until the user closes it
    }
    this.deps.onClosed(this);
    if (!this.closedByUser) this.closeEmitter.fire(e.code);
  }

  /** The session is over: its saved copy and lease go (a failure is logged, never thrown). */
  private forget(): void {
    this.deps.store
      .remove(this.id)
      .catch((e: Error) => this.deps.log.warn(`${this.target}: could not forget the saved session: ${e.message}`));
  }

  handleInput(data: string): void {
    this.client?.input(data);
  }

  setDimensions(dims: vscode.TerminalDimensions): void {
    this.cols = dims.columns;
    this.rows = dims.rows;
    this.client?.resize(dims.columns, dims.rows);
  }

  /**
   * The panel was closed, by the user or because the window is going away: VS Code does not say which here, so
   * nothing is ended yet. The extension decides from the terminal's exit reason: end() for a user's close,
   * keep() otherwise (the saved session then brings the panel back).
   */
  close(): void {
    this.closedByUser = true;
    if (!this.client) this.cancelConnect(); // closed while connecting: stop the bootstrap
    if (!this.client || this.ended_) this.deps.onClosed(this);
    else void this.persist();
  }

  /** Aborts a bootstrap under way (set while connecting). */
  private cancelConnect: () => void = () => undefined;

  /** The user closed the panel (or asked for a fresh session): end the remote session with the handshake. */
  end(): void {
    this.cancelConnect();
    if (this.saveTimer) clearInterval(this.saveTimer);
    this.forget();
    const wasRunning = this.client && !this.ended_;
    this.ended_ = true; // nothing is saved from now on
    if (wasRunning) void this.client!.close();
    this.deps.onClosed(this);
  }
}
