// The extension's settings (contributes.configuration in package.json), read in one place. Per-host overrides
// (mosh.hosts) are resolved in hostsettings.ts; this only reads the raw values.
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { DisplayPreference } from '../client';

export interface MoshSettings {
  predictionDisplay: DisplayPreference;
  predictOverwrite: boolean;
  /** auto | bundled | system | a path to a mosh-server on the remote host */
  server: string;
  /** Path of Node.js on the remote host to try first (empty: PATH, then VS Code Server's). */
  remoteNodePath: string;
  /** "LOW:HIGH" or "PORT"; empty = the server's default (60001:60999) */
  udpPortRange: string;
  /** Forward the local ssh agent to every session (as ssh -A); ssh_config's ForwardAgent also turns it on per host. */
  forwardAgent: boolean;
  /** mosh.sshConfigFile, else Remote-SSH's remote.SSH.configFile, else '' (~/.ssh/config). */
  sshConfigFile: string;
  locale: string;
  /** Let the remote application set the local clipboard (OSC 52), as stock mosh does. */
  allowClipboardWrite: boolean;
  /** The panel's scrollback (terminal.integrated.scrollback): history lines our server sends to fill it. */
  scrollback: number;
  /** mosh.hosts as written (validated when resolved, per host). */
  hosts: unknown;
  /** In a Remote-SSH window, make the Mosh profile the window's default terminal profile. */
  defaultInRemoteSsh: boolean;
}

function untilde(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
}

export function readSettings(): MoshSettings {
  const c = vscode.workspace.getConfiguration('mosh');
  const remoteSshConfig = vscode.workspace.getConfiguration('remote.SSH').get<string>('configFile', '');
  return {
    predictionDisplay: c.get<DisplayPreference>('predictionDisplay', 'adaptive'),
    predictOverwrite: c.get<boolean>('predictOverwrite', false),
    server: c.get<string>('server', 'auto'),
    remoteNodePath: c.get<string>('remoteNodePath', ''),
    udpPortRange: c.get<string>('udpPortRange', ''),
    // Application scope (package.json): a workspace cannot turn it on.
    forwardAgent: c.get<boolean>('forwardAgent', false) === true,
    sshConfigFile: untilde(
      c.get<string>('sshConfigFile', '') || (typeof remoteSshConfig === 'string' ? remoteSshConfig : ''),
    ),
    locale: c.get<string>('locale', ''),
    allowClipboardWrite: c.get<boolean>('allowClipboardWrite', true),
    hosts: c.get<unknown>('hosts', {}),
    defaultInRemoteSsh: c.get<boolean>('defaultInRemoteSsh', false),
    scrollback: Math.max(
      0,
      Math.floor(Number(vscode.workspace.getConfiguration('terminal.integrated').get<number>('scrollback', 1000)) || 0),
    ),
  };
}
