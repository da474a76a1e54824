// VS Code entry point: activate/deactivate only. Registers the commands, the "Mosh" terminal profile and the
// status bar item, and brings back this window's saved panels. Kept small (dist/extension.js): the session code
// (src/vscode/sessionkit.ts: panels, MoshClient, ssh) is loaded on first use, so a window with no saved panel
// pays only for this file at startup.
import * as vscode from 'vscode';
import { sessionCode } from './vscode/load';
import { SessionStore } from './vscode/persist';
import { syncDefaultProfile } from './vscode/profilesetting';
import type { SessionKit } from './vscode/sessionkit';
import { MoshStatusBar } from './vscode/status';

/** The walkthrough's id in package.json, prefixed with the extension's id. */
const WALKTHROUGH = 'vscode-mosh.vscode-mosh#mosh.gettingStarted';

let kit: SessionKit | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Mosh', { log: true });
  const status = new MoshStatusBar();
  const store = new SessionStore(context);
  const session = (): SessionKit => {
    if (!kit) {
      const t0 = Date.now();
      kit = sessionCode().createSessionKit({ context, log, status, store });
      log.info(`session code loaded in ${Date.now() - t0} ms`);
    }
    return kit;
  };
  const failed = (what: string) => (e: unknown) => {
    log.error(`${what}: ${(e as Error)?.stack ?? String(e)}`);
    void vscode.window.showErrorMessage(`Mosh: ${what} failed: ${(e as Error)?.message ?? String(e)}`);
  };

  context.subscriptions.push(
    log,
    status,
    vscode.commands.registerCommand('mosh.connect', (arg?: unknown) =>
      session().connect(arg).catch(failed('Connect to Host')),
    ),
    vscode.commands.registerCommand('mosh.newTerminal', () => session().newTerminal().catch(failed('New Terminal'))),
    vscode.commands.registerCommand('mosh.showLog', () => log.show()),
    vscode.commands.registerCommand('mosh.manageSessions', (arg?: unknown) =>
      session().manageSessions(arg).catch(failed('Manage Remote Sessions')),
    ),
    vscode.commands.registerCommand('mosh.statusMenu', () => session().statusMenu().catch(failed('the status menu'))),
    vscode.commands.registerCommand('mosh.reconnect', () => session().reconnect().catch(failed('Reconnect'))),
    vscode.commands.registerCommand('mosh.openSshConfig', () =>
      session().openSshConfig().catch(failed('Open SSH Config')),
    ),
    vscode.commands.registerCommand('mosh.gettingStarted', () =>
      vscode.commands.executeCommand('workbench.action.openWalkthrough', WALKTHROUGH, false),
    ),
    vscode.window.registerTerminalProfileProvider('mosh.terminal', {
      provideTerminalProfile: () => session().provideProfile(),
    }),
    vscode.window.onDidOpenTerminal((t) => kit?.opened(t)),
    vscode.window.onDidCloseTerminal((t) => kit?.closed(t)),
    vscode.window.onDidChangeActiveTerminal(() => kit?.activeChanged()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('mosh.defaultInRemoteSsh')) void syncDefaultProfile(context, log);
    }),
  );
  log.info('Mosh extension activated');
  void syncDefaultProfile(context, log);
  if (store.hasSaved()) {
    try {
      void session().restore();
    } catch (e) {
      failed('Bringing back the mosh panels')(e);
    }
  }
}

/** The window is going away: every open session is saved and kept (not ended), for its panel to come back. */
export async function deactivate(): Promise<void> {
  await kit?.keepAll();
}
