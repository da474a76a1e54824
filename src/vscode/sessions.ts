// "Mosh: Manage Remote Sessions...": lists our mosh sessions on a host (src/ssh/sessions.ts), marks the ones an
// open panel owns, and ends the ones the user picks (those no panel owns are picked already), so none are left
// orphaned. Thin glue.
import * as vscode from 'vscode';
import { endRemoteSessions, listRemoteSessions } from '../ssh/sessions';
import { pickHost } from './hosts';
import type { VsCodePrompter } from './prompter';
import { readSettings } from './settings';
import type { MoshTerminal } from './terminal';

function age(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

export async function manageRemoteSessions(state: vscode.Memento, prompter: VsCodePrompter, open: Iterable<MoshTerminal>, log: vscode.LogOutputChannel, target?: string): Promise<void> {
  target ??= await pickHost(state, readSettings().sshConfigFile);
  if (!target) return;
  const settings = readSettings();
  const resolve = settings.sshConfigFile ? { configFiles: [settings.sshConfigFile] } : undefined;
  const opts = { prompter, resolve, log: (l: string) => log.info(`${target}: ${l}`) };
  let listed: Awaited<ReturnType<typeof listRemoteSessions>>;
  try {
    listed = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Mosh: listing sessions on ${target}` }, () => listRemoteSessions(target!, opts));
  } catch (e) {
    void vscode.window.showErrorMessage(`Mosh could not list the sessions on ${target}: ${(e as Error).message}`);
    return;
  }
  if (listed.sessions.length === 0) {
    void vscode.window.showInformationMessage(`No mosh sessions of this extension are running on ${target}.`);
    return;
  }
  const owner = (port: number) => [...open].find((t) => t.endpoint && t.endpoint.port === port && t.endpoint.host === listed.ip);
  const items = listed.sessions.map((s) => {
    const panel = owner(s.port);
    return {
      label: `UDP port ${s.port}`,
      description: `started ${age(s.ageSeconds)} ago`,
      detail: panel ? `open in the panel "${panel.target}"` : 'no panel owns this session',
      picked: !panel,
      pid: s.pid,
    };
  });
  const chosen = await vscode.window.showQuickPick(items, { canPickMany: true, title: `Mosh sessions on ${target}`, placeHolder: 'Pick the sessions to end (those no panel owns are picked)' });
  if (!chosen || chosen.length === 0) return;
  try {
    const ended = await endRemoteSessions(target, chosen.map((c) => c.pid), opts);
    log.info(`${target}: ended ${ended.length} session(s): pids ${ended.join(', ')}`);
    void vscode.window.showInformationMessage(`Ended ${ended.length} mosh session${ended.length === 1 ? '' : 's'} on ${target}.`);
  } catch (e) {
    void vscode.window.showErrorMessage(`Mosh could not end the sessions on ${target}: ${(e as Error).message}`);
  }
}
