// The host picker of "Mosh: Connect to Host...": hosts named in ~/.ssh/config (no wildcard patterns), recent
// connections first (with the command typed after ` -- `, if any), and free entry of `user@host[:port]`, optionally
// followed by ` -- command`. Returns what was picked or typed, unparsed (target.ts reads it). Knows nothing of
// connecting.
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { listHosts, validateTarget } from '../ssh';
import { parseConnectInput } from './target';

const RECENT_KEY = 'mosh.recentHosts';
const MAX_RECENT = 10;

/** Host aliases in an ssh config file and what it Includes (the ssh layer's reader), without patterns. */
export function configHosts(file: string): string[] {
  return listHosts({ configFiles: [file] });
}

/** Why `input` (`host`, `user@host:port`, `host -- command`) cannot be connected to, or undefined. */
export function connectInputProblem(input: string): string | undefined {
  const req = parseConnectInput(input);
  if (!req)
    return 'Type a host: user@host[:port], or a host from your ssh config, optionally followed by " -- command".';
  return validateTarget(req.target);
}

/** Recent connections, without any that this version refuses (a name remembered by an older one). */
export function recentHosts(state: vscode.Memento): string[] {
  return state.get<string[]>(RECENT_KEY, []).filter((h) => connectInputProblem(h) === undefined);
}

export async function rememberHost(state: vscode.Memento, host: string): Promise<void> {
  const list = [host, ...recentHosts(state).filter((h) => h !== host)].slice(0, MAX_RECENT);
  await state.update(RECENT_KEY, list);
}

/** Asks which host to connect to. Resolves undefined if the user cancels. */
export function pickHost(state: vscode.Memento, sshConfigFile: string): Promise<string | undefined> {
  const recent = recentHosts(state);
  const configured = configHosts(sshConfigFile || join(homedir(), '.ssh', 'config')).filter((h) => !recent.includes(h));
  const items: vscode.QuickPickItem[] = [
    ...recent.map((h) => ({ label: h, description: 'recent' })),
    ...configured.filter((h) => validateTarget(h) === undefined).map((h) => ({ label: h, description: 'ssh config' })),
  ];
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick();
    qp.title = 'Mosh: Connect to Host';
    qp.placeholder = 'user@host[:port] [-- command], or a host from your ssh config';
    qp.items = items;
    qp.ignoreFocusOut = true;
    let done = false;
    qp.onDidChangeValue((v) => {
      const typed = v.trim();
      if (!typed || items.some((i) => i.label === typed)) {
        qp.items = items;
        return;
      }
      // A name the ssh layer would refuse (a shell metacharacter, a control character...) says why, and cannot be picked.
      const problem = connectInputProblem(typed);
      qp.items = [
        problem
          ? { label: typed, description: 'cannot connect', detail: problem, alwaysShow: true }
          : { label: typed, description: 'connect' },
        ...items,
      ];
    });
    qp.onDidAccept(() => {
      const pick = qp.selectedItems[0]?.label ?? qp.value.trim();
      if (pick && connectInputProblem(pick) !== undefined) return;
      done = true;
      qp.hide();
      resolve(pick || undefined);
    });
    qp.onDidHide(() => {
      qp.dispose();
      if (!done) resolve(undefined);
    });
    qp.show();
  });
}

/** Opens the ssh config file (`file`, else ~/.ssh/config) in an editor, or a new one at that path. */
export async function openSshConfig(file: string): Promise<void> {
  const path = file || join(homedir(), '.ssh', 'config');
  try {
    await vscode.window.showTextDocument(vscode.Uri.file(path));
  } catch {
    // No config yet: offer a new one at that path.
    await vscode.window.showTextDocument(vscode.Uri.file(path).with({ scheme: 'untitled' }));
  }
}
