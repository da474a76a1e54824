// Applies mosh.defaultInRemoteSsh to this window's workspace settings, as planned by defaultprofile.ts: at
// activation in a Remote-SSH window and whenever the setting changes. Failures are logged, never thrown.
import * as vscode from 'vscode';
import { DEFAULT_PROFILE_KEYS, planDefaultProfile, type WrittenProfiles } from './defaultprofile';
import { REMOTE_SSH_NAME } from './remotessh';

const WRITTEN_KEY = 'mosh.defaultProfileWritten';

export async function syncDefaultProfile(ctx: vscode.ExtensionContext, log: vscode.LogOutputChannel): Promise<void> {
  const inRemoteSsh = vscode.env.remoteName === REMOTE_SSH_NAME;
  const written = ctx.workspaceState.get<WrittenProfiles>(WRITTEN_KEY, {});
  if (!inRemoteSsh && Object.keys(written).length === 0) return;
  const wanted = vscode.workspace.getConfiguration('mosh').get<boolean>('defaultInRemoteSsh', false);
  const terminal = vscode.workspace.getConfiguration('terminal.integrated');
  const workspaceValues: Record<string, unknown> = {};
  for (const key of DEFAULT_PROFILE_KEYS) workspaceValues[key] = terminal.inspect(key)?.workspaceValue;
  const plan = planDefaultProfile({ inRemoteSsh, wanted, workspaceValues, written });
  if (plan.updates.length === 0 && JSON.stringify(plan.written) === JSON.stringify(written)) return;
  if (plan.updates.length && !vscode.workspace.workspaceFolders?.length) {
    log.info(
      'mosh.defaultInRemoteSsh: this Remote-SSH window has no folder open, so it has no workspace settings to make Mosh the default profile in',
    );
    return;
  }
  try {
    for (const u of plan.updates) {
      await terminal.update(u.key, u.value, vscode.ConfigurationTarget.Workspace);
      log.info(
        `mosh.defaultInRemoteSsh: terminal.integrated.${u.key} ${u.value === undefined ? 'removed from' : `set to "${String(u.value)}" in`} this workspace's settings`,
      );
    }
    await ctx.workspaceState.update(WRITTEN_KEY, plan.written);
  } catch (e) {
    log.warn(`mosh.defaultInRemoteSsh: could not change the default terminal profile: ${(e as Error).message}`);
  }
}
