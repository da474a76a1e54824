// VS Code entry point: activate/deactivate only. Registers what src/vscode/ provides (the commands, the "Mosh"
// terminal profile, the status bar item) and asks src/vscode/panels.ts to bring back this window's saved panels.
import * as vscode from 'vscode';
import { bootstrap } from './vscode/bootstrap';
import { pickHost, rememberHost } from './vscode/hosts';
import { Panels } from './vscode/panels';
import { SessionStore } from './vscode/persist';
import { VsCodePrompter } from './vscode/prompter';
import { manageRemoteSessions } from './vscode/sessions';
import { readSettings } from './vscode/settings';
import { MoshStatusBar } from './vscode/status';
import type { MoshTerminal } from './vscode/terminal';

let panels: Panels | null = null;

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Mosh', { log: true });
  const status = new MoshStatusBar();
  const store = new SessionStore(context);
  const prompter = new VsCodePrompter(log);
  const activeMosh = () => p.of(vscode.window.activeTerminal);
  const p: Panels = new Panels(
    {
      bootstrap,
      settings: readSettings,
      prompter,
      log,
      onStatus: (t, s) => {
        if (activeMosh() === t) status.show(t.target, s);
      },
      onClosed: (t) => p.open.delete(t),
      store,
    },
    store,
    log,
  );
  panels = p;
  const newPanel = (target: string): MoshTerminal => {
    rememberHost(context.globalState, target).catch((e: Error) => log.warn(`could not remember ${target} as a recent host: ${e.message}`));
    return p.create(target);
  };

  context.subscriptions.push(
    log,
    status,
    vscode.commands.registerCommand('mosh.connect', async (arg?: string) => {
      const target = typeof arg === 'string' && arg ? arg : await pickHost(context.globalState, readSettings().sshConfigFile);
      if (target) p.show(newPanel(target));
    }),
    vscode.commands.registerCommand('mosh.showLog', () => log.show()),
    vscode.commands.registerCommand('mosh.manageSessions', (arg?: string) => manageRemoteSessions(context.globalState, prompter, p.open, log, typeof arg === 'string' ? arg : undefined)),
    vscode.window.registerTerminalProfileProvider('mosh.terminal', {
      async provideTerminalProfile() {
        const target = await pickHost(context.globalState, readSettings().sshConfigFile);
        if (!target) return undefined;
        return new vscode.TerminalProfile({ name: target, pty: newPanel(target), iconPath: new vscode.ThemeIcon('remote') });
      },
    }),
    vscode.window.onDidOpenTerminal((t) => p.opened(t)),
    vscode.window.onDidCloseTerminal((t) => p.closed(t)),
    vscode.window.onDidChangeActiveTerminal(() => {
      const m = activeMosh();
      if (m) status.show(m.target, m.lastStatus);
      else status.hide();
    }),
  );
  log.info('Mosh extension activated');
  void p.restore();
}

/** The window is going away: every open session is saved and kept (not ended), for its panel to come back. */
export async function deactivate(): Promise<void> {
  await panels?.keepAll();
}
