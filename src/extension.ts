// VS Code entry point: activate/deactivate only. Registers what src/vscode/ provides: the "Mosh: Connect to
// Host..." and "Mosh: Show Log" commands, the "Mosh" terminal profile and the status bar item, and brings back
// the mosh panels that were open when the window last closed (their remote sessions are kept, not ended).
import * as vscode from 'vscode';
import { bootstrap } from './vscode/bootstrap';
import { pickHost, rememberHost } from './vscode/hosts';
import { SessionStore } from './vscode/persist';
import { manageRemoteSessions } from './vscode/sessions';
import { VsCodePrompter } from './vscode/prompter';
import { readSettings } from './vscode/settings';
import { MoshStatusBar } from './vscode/status';
import { MoshTerminal, type TerminalDeps } from './vscode/terminal';

const open = new Set<MoshTerminal>();

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Mosh', { log: true });
  const status = new MoshStatusBar();
  const terminals = new Map<vscode.Terminal, MoshTerminal>();
  const store = new SessionStore(context);
  const activeMosh = () => (vscode.window.activeTerminal ? terminals.get(vscode.window.activeTerminal) : undefined);
  const prompter = new VsCodePrompter(log);
  const deps: TerminalDeps = {
    bootstrap,
    settings: readSettings,
    prompter,
    log,
    onStatus: (t, s) => {
      if (activeMosh() === t) status.show(t.target, s);
    },
    onClosed: (t) => open.delete(t),
    store,
  };
  const newTerminal = (target: string): MoshTerminal => {
    const pty = new MoshTerminal(target, deps);
    open.add(pty);
    void rememberHost(context.globalState, target);
    return pty;
  };

  context.subscriptions.push(
    log,
    status,
    vscode.commands.registerCommand('mosh.connect', async (arg?: string) => {
      const target = typeof arg === 'string' && arg ? arg : await pickHost(context.globalState, readSettings().sshConfigFile);
      if (!target) return;
      const pty = newTerminal(target);
      const terminal = vscode.window.createTerminal({ name: target, pty, iconPath: new vscode.ThemeIcon('remote') });
      terminals.set(terminal, pty);
      terminal.show();
    }),
    vscode.commands.registerCommand('mosh.showLog', () => log.show()),
    vscode.commands.registerCommand('mosh.manageSessions', (arg?: string) => manageRemoteSessions(context.globalState, prompter, open, log, typeof arg === 'string' ? arg : undefined)),
    vscode.window.registerTerminalProfileProvider('mosh.terminal', {
      async provideTerminalProfile() {
        const target = await pickHost(context.globalState, readSettings().sshConfigFile);
        if (!target) return undefined;
        return new vscode.TerminalProfile({ name: target, pty: newTerminal(target), iconPath: new vscode.ThemeIcon('remote') });
      },
    }),
    vscode.window.onDidOpenTerminal((t) => {
      const pty = (t.creationOptions as vscode.ExtensionTerminalOptions).pty;
      if (pty instanceof MoshTerminal) terminals.set(t, pty);
    }),
    vscode.window.onDidCloseTerminal((t) => {
      const pty = terminals.get(t);
      terminals.delete(t);
      if (!pty) return;
      // Only a user's close ends the remote session; a window closing or reloading keeps it for the panel to
      // come back (so does an unknown reason: an orphaned session can be ended later, a lost one cannot).
      const reason = t.exitStatus?.reason;
      log.info(`${pty.target}: panel closed (reason ${reason === undefined ? 'unknown' : vscode.TerminalExitReason[reason]})`);
      if (reason === vscode.TerminalExitReason.User) pty.end();
      else void pty.keep();
    }),
    vscode.window.onDidChangeActiveTerminal(() => {
      const m = activeMosh();
      if (m) status.show(m.target, m.lastStatus);
      else status.hide();
    }),
  );
  log.info('Mosh extension activated');
  void restorePanels(store, deps, terminals, log);
}

/** Recreates the panels saved when the window last closed, each continuing its remote session. */
async function restorePanels(store: SessionStore, deps: TerminalDeps, terminals: Map<vscode.Terminal, MoshTerminal>, log: vscode.LogOutputChannel): Promise<void> {
  for (const panel of store.list()) {
    const session = await store.load(panel.id);
    if (!session) {
      await store.remove(panel.id);
      continue;
    }
    log.info(`bringing back the mosh panel for ${panel.target}`);
    const pty = new MoshTerminal(panel.target, deps, { id: panel.id, session });
    open.add(pty);
    const terminal = vscode.window.createTerminal({ name: panel.target, pty, iconPath: new vscode.ThemeIcon('remote') });
    terminals.set(terminal, pty);
    terminal.show(true);
  }
}

/** The window is going away: every open session is saved and kept (not ended), for its panel to come back. */
export async function deactivate(): Promise<void> {
  await Promise.all([...open].map((t) => t.keep()));
}
