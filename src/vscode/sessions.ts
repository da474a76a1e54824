// "Mosh: Manage Remote Sessions...": lists our mosh sessions on a host (src/ssh/sessions.ts), marks the ones an
// open panel owns, and ends the ones the user picks (those no panel owns are picked already), so none are left
// orphaned. A picked recent host with a command (`host -- command`) lists the host's sessions. Thin glue.
import * as vscode from 'vscode';
import { endRemoteSessions, listRemoteSessions } from '../ssh';
import { pickHost } from './hosts';
import type { VsCodePrompter } from './prompter';
import { readSettings } from './settings';
import { parseConnectInput } from './target';
import type { MoshTerminal } from './terminal';

function age(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

export async function manageRemoteSessions(
  state: vscode.Memento,
  prompter: VsCodePrompter,
  open: Iterable<MoshTerminal>,
  log: vscode.LogOutputChannel,
  target?: string,
): Promise<void> {
  const picked = target ?? (await pickHost(state, readSettings().sshConfigFile));
  if (!picked) return;
  // A recent host may carry a command (`host -- command`): the sessions are the host's.
  const host = parseConnectInput(picked)?.target;
  if (!host) {
    void vscode.window.showErrorMessage(`Mosh: "${picked}" does not name a host.`);
    return;
  }
  const settings = readSettings();
  const resolve = settings.sshConfigFile ? { configFiles: [settings.sshConfigFile] } : undefined;
  const opts = { prompter, resolve, log: (l: string) => log.info(`${host}: ${l}`) };
  let listed: Awaited<ReturnType<typeof listRemoteSessions>>;
  try {
    listed = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Mosh: listing sessions on ${host}` },
      () => listRemoteSessions(host, opts),
    );
  } catch (e) {
    void vscode.window.showErrorMessage(`Mosh could not list the sessions on ${host}: ${(e as Error).message}`);
    return;
  }
  if (listed.sessions.length === 0) {
    void vscode.window.showInformationMessage(`No mosh sessions of this extension are running on ${host}.`);
    return;
  }
  const owner = (port: number) =>
    [...open].find((t) => t.endpoint && t.endpoint.port === port && t.endpoint.host === listed.ip);
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
  const chosen = await vscode.window.showQuickPick(items, {
    canPickMany: true,
    title: `Mosh sessions on ${host}`,
    placeHolder: 'Pick the sessions to end (those no panel owns are picked)',
  });
  if (!chosen || chosen.length === 0) return;
  try {
    const ended = await endRemoteSessions(
      host,
      chosen.map((c) => c.pid),
      opts,
    );
    log.info(`${host}: ended ${ended.length} session(s): pids ${ended.join(', ')}`);
    void vscode.window.showInformationMessage(
      `Ended ${ended.length} mosh session${ended.length === 1 ? '' : 's'} on ${host}.`,
    );
  } catch (e) {
    void vscode.window.showErrorMessage(`Mosh could not end the sessions on ${host}: ${(e as Error).message}`);
  }
}
