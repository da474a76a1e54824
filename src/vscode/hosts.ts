// The host picker of "Mosh: Connect to Host...": hosts named in ~/.ssh/config (no wildcard patterns), recent
// connections first (with the command typed after ` -- `, if any), and free entry of `user@host[:port]`, optionally
// followed by ` -- command`. Returns what was picked or typed, unparsed (target.ts reads it). Knows nothing of
// connecting.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';

// ssh-config is an ES module with a CommonJS build; this project is CommonJS, so it is required by hand.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parse: parseSshConfig } = require('ssh-config') as { parse(text: string): { param?: string; value?: unknown }[] };

const RECENT_KEY = 'mosh.recentHosts';
const MAX_RECENT = 10;

/** Host aliases in an ssh_config file (and the files it Includes, one level), without patterns. */
export function configHosts(file: string): string[] {
  const seen = new Set<string>();
  const visit = (path: string, depth: number) => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return;
    }
    for (const section of parseSshConfig(text)) {
      const values = Array.isArray(section.value) ? section.value.map((v: { val: string }) => v.val) : typeof section.value === 'string' ? section.value.split(/\s+/) : [];
      if (section.param?.toLowerCase() === 'host') {
        for (const h of values) if (h && !/[*?!]/.test(h)) seen.add(h);
      } else if (section.param?.toLowerCase() === 'include' && depth < 2) {
        for (const inc of values) visit(inc.startsWith('/') ? inc : inc.startsWith('~') ? join(homedir(), inc.slice(1)) : join(homedir(), '.ssh', inc), depth + 1);
      }
    }
  };
  visit(file, 0);
  return [...seen];
}

export function recentHosts(state: vscode.Memento): string[] {
  return state.get<string[]>(RECENT_KEY, []);
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
    ...configured.map((h) => ({ label: h, description: 'ssh config' })),
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
      qp.items = typed && !items.some((i) => i.label === typed) ? [{ label: typed, description: 'connect' }, ...items] : items;
    });
    qp.onDidAccept(() => {
      const pick = qp.selectedItems[0]?.label ?? qp.value.trim();
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
