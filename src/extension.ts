// VS Code entry point: activate/deactivate only. Registers what src/vscode/ provides: the "Mosh: Connect to
// Host..." and "Mosh: Show Log" commands, the "Mosh" terminal profile and the status bar item.
import * as vscode from 'vscode';
import { bootstrap } from './vscode/bootstrap';
import { pickHost, rememberHost } from './vscode/hosts';
import { VsCodePrompter } from './vscode/prompter';
import { readSettings } from './vscode/settings';
import { MoshStatusBar } from './vscode/status';
import { MoshTerminal, type TerminalDeps } from './vscode/terminal';

const open = new Set<MoshTerminal>();

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Mosh', { log: true });
  const status = new MoshStatusBar();
  const terminals = new Map<vscode.Terminal, MoshTerminal>();
  const activeMosh = () => (vscode.window.activeTerminal ? terminals.get(vscode.window.activeTerminal) : undefined);
  const deps: TerminalDeps = {
    bootstrap,
    settings: readSettings,
    prompter: new VsCodePrompter(log),
    log,
    onStatus: (t, s) => {
      if (activeMosh() === t) status.show(t.target, s);
    },
    onClosed: (t) => open.delete(t),
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
    vscode.window.onDidCloseTerminal((t) => terminals.delete(t)),
    vscode.window.onDidChangeActiveTerminal(() => {
      const m = activeMosh();
      if (m) status.show(m.target, m.lastStatus);
      else status.hide();
    }),
  );
  log.info('Mosh extension activated');
}

/** Ends every open session with the handshake (VS Code waits for the returned promise, briefly). */
export async function deactivate(): Promise<void> {
  await Promise.all([...open].map((t) => t.client?.close()));
}
