// The session side of the extension, loaded on first use (esbuild makes it dist/session.js, required by
// extension.ts only when a command runs, the Mosh profile is picked, or the window has panels to bring back): the
// panels and MoshClient; the ssh code (sshkit.ts) is loaded in turn only for a new connection. Decides what a command opens (a picked host, `host --
// command`, this Remote-SSH window's host and folder) and handles the status bar's menu and Reconnect.
// Not the entry point (extension.ts) nor a panel (terminal.ts).
import * as vscode from 'vscode';
import { sshCode } from './load';
import { Panels } from './panels';
import type { PanelSpec, SessionStore } from './persist';
import { VsCodePrompter } from './prompter';
import { remoteSshWindow } from './remotessh';
import { readSettings } from './settings';
import type { MoshStatusBar } from './status';
import { formatConnectInput, parseConnectInput } from './target';
import type { MoshTerminal } from './terminal';

export interface SessionKitDeps {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  status: MoshStatusBar;
  store: SessionStore;
}

function isSpec(arg: unknown): arg is PanelSpec {
  return !!arg && typeof arg === 'object' && typeof (arg as PanelSpec).target === 'string';
}

export class SessionKit {
  readonly panels: Panels;
  private readonly prompter: VsCodePrompter;

  constructor(private readonly d: SessionKitDeps) {
    this.prompter = new VsCodePrompter(d.log);
    this.panels = new Panels(
      {
        bootstrap: (req) => sshCode().bootstrap(req),
        settings: readSettings,
        prompter: this.prompter,
        log: d.log,
        onStatus: (t, s) => {
          if (this.active() === t) d.status.show(t.target, s);
        },
        onClosed: (t) => this.panels.open.delete(t),
        again: (t) => this.replace(t),
        store: d.store,
      },
      d.store,
      d.log,
    );
  }

  /** The mosh panel of the active terminal, if it is one. */
  active(): MoshTerminal | undefined {
    return this.panels.of(vscode.window.activeTerminal);
  }

  /** This window's Remote-SSH host and folder (the active editor's folder first), or null. */
  remoteSsh(): PanelSpec | null {
    const editor = vscode.window.activeTextEditor;
    const activeFolder = editor ? vscode.workspace.getWorkspaceFolder(editor.document.uri) : undefined;
    const w = remoteSshWindow(vscode.env.remoteName, vscode.workspace.workspaceFolders, activeFolder);
    return w ? { target: w.host.target, cwd: w.cwd } : null;
  }

  /** A new panel's pseudoterminal for `spec`, remembered as a recent host. */
  private newPanel(spec: PanelSpec, remember = true): MoshTerminal {
    if (remember) {
      const input = formatConnectInput({
        target: spec.target,
        command: typeof spec.command === 'string' ? spec.command : undefined,
      });
      sshCode()
        .rememberHost(this.d.context.globalState, input)
        .catch((e: Error) => this.d.log.warn(`could not remember ${spec.target} as a recent host: ${e.message}`));
    }
    return this.panels.create(spec);
  }

  /** What the user picked or typed (`host`, `host -- command`), or undefined if they cancelled or it names no host. */
  private async askSpec(): Promise<PanelSpec | undefined> {
    const input = await sshCode().pickHost(this.d.context.globalState, readSettings().sshConfigFile);
    if (input === undefined) return undefined;
    const req = parseConnectInput(input);
    if (!req) {
      void vscode.window.showErrorMessage(
        `Mosh: "${input}" does not name a host. Type user@host[:port], a host from your ssh config, or host -- command.`,
      );
      return undefined;
    }
    return req;
  }

  /** "Mosh: Connect to Host...": `arg` (a connect string or a PanelSpec), else the picker. */
  async connect(arg?: unknown): Promise<void> {
    let spec: PanelSpec | undefined;
    if (isSpec(arg)) spec = arg;
    else if (typeof arg === 'string' && arg.trim()) {
      const req = parseConnectInput(arg);
      if (!req) {
        void vscode.window.showErrorMessage(`Mosh: "${arg}" does not name a host.`);
        return;
      }
      spec = req;
    } else spec = await this.askSpec();
    if (spec) this.panels.show(this.newPanel(spec));
  }

  /** "Mosh: New Terminal": this Remote-SSH window's host and folder with no picker; elsewhere the picker. */
  async newTerminal(): Promise<void> {
    const here = this.remoteSsh();
    if (here) {
      this.d.log.info(`Remote-SSH window on ${here.target}: a mosh panel there, in ${here.cwd ?? 'the home folder'}`);
      this.panels.show(this.newPanel(here, false));
    } else await this.connect();
  }

  /** The "Mosh" terminal profile: as New Terminal. */
  async provideProfile(): Promise<vscode.TerminalProfile | undefined> {
    const spec = this.remoteSsh() ?? (await this.askSpec());
    if (!spec) return undefined;
    return new vscode.TerminalProfile({
      name: spec.target,
      pty: this.newPanel(spec, !spec.cwd),
      iconPath: new vscode.ThemeIcon('remote'),
    });
  }

  openSshConfig(): Promise<void> {
    return sshCode().openSshConfig(readSettings().sshConfigFile);
  }

  manageSessions(arg?: unknown): Promise<void> {
    return sshCode().manageRemoteSessions(
      this.d.context.globalState,
      this.prompter,
      this.panels.open,
      this.d.log,
      typeof arg === 'string' ? arg : undefined,
    );
  }

  /** The status bar item's menu, for the active mosh panel. */
  async statusMenu(): Promise<void> {
    const pty = this.active();
    type Item = vscode.QuickPickItem & { run: () => unknown };
    const items: Item[] = [{ label: '$(output) Show Log', run: () => this.d.log.show() }];
    if (pty) {
      const gone = pty.ended || pty.lastStatus.state === 'gone';
      items.push(
        {
          label: `$(server-process) Manage Remote Sessions on ${pty.target}...`,
          detail: 'List the mosh sessions running there and end the ones no panel uses',
          run: () => this.manageSessions(pty.target),
        },
        {
          label: `$(debug-restart) Reconnect to ${pty.target}`,
          detail: gone
            ? 'The session has ended: start a fresh one in its place'
            : 'End the running session (after asking) and start a fresh one in its place',
          run: () => this.reconnect(pty),
        },
      );
    }
    const pick = await vscode.window.showQuickPick(items, { title: pty ? `Mosh: ${pty.target}` : 'Mosh' });
    await pick?.run();
  }

  /** "Mosh: Reconnect": a fresh session in place of the active panel's (asking first if it is still alive). */
  async reconnect(pty: MoshTerminal | undefined = this.active()): Promise<void> {
    if (!pty) {
      void vscode.window.showInformationMessage(
        'Mosh: the active terminal is not a mosh panel. Use Mosh: Connect to Host... to open one.',
      );
      return;
    }
    if (!pty.ended && pty.lastStatus.state !== 'gone') {
      const choice = await vscode.window.showWarningMessage(
        `The mosh session on ${pty.target} is still running. End it and start a new one?`,
        {
          modal: true,
          detail:
            'The programs running in it are ended. If the host cannot be reached now, its mosh server may keep running until you end it with Mosh: Manage Remote Sessions.',
        },
        'End and Reconnect',
      );
      if (choice !== 'End and Reconnect') return;
    }
    this.replace(pty);
  }

  /** Ends `pty`'s session (if it runs) and shows a fresh panel like it in its place. */
  private replace(pty: MoshTerminal): void {
    const old = this.panels.terminalOf(pty);
    this.d.log.info(`${pty.target}: starting a fresh session${pty.ended ? '' : ' (ending the running one)'}`);
    pty.end();
    this.panels.show(this.newPanel(pty.spec, false));
    old?.dispose();
  }

  opened(t: vscode.Terminal): void {
    this.panels.opened(t);
  }

  closed(t: vscode.Terminal): void {
    this.panels.closed(t);
  }

  activeChanged(): void {
    const m = this.active();
    if (m) this.d.status.show(m.target, m.lastStatus);
    else this.d.status.hide();
  }

  restore(): Promise<void> {
    return this.panels.restore();
  }

  keepAll(): Promise<void> {
    return this.panels.keepAll();
  }
}

export function createSessionKit(d: SessionKitDeps): SessionKit {
  return new SessionKit(d);
}
