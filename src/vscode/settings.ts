// The extension's settings (contributes.configuration in package.json), read in one place.
import * as vscode from 'vscode';
import type { DisplayPreference } from '../predict';

export interface MoshSettings {
  predictionDisplay: DisplayPreference;
  predictOverwrite: boolean;
  /** auto | bundled | system | a path to a mosh-server on the remote host */
  server: string;
  /** Path of Node.js on the remote host to try first (empty: PATH, then VS Code Server's). */
  remoteNodePath: string;
  /** "LOW:HIGH" or "PORT"; empty = the server's default (60001:60999) */
  udpPortRange: string;
  sshConfigFile: string;
  locale: string;
  /** Let the remote application set the local clipboard (OSC 52), as stock mosh does. */
  allowClipboardWrite: boolean;
}

export function readSettings(): MoshSettings {
  const c = vscode.workspace.getConfiguration('mosh');
  return {
    predictionDisplay: c.get<DisplayPreference>('predictionDisplay', 'adaptive'),
    predictOverwrite: c.get<boolean>('predictOverwrite', false),
    server: c.get<string>('server', 'auto'),
    remoteNodePath: c.get<string>('remoteNodePath', ''),
    udpPortRange: c.get<string>('udpPortRange', ''),
    sshConfigFile: c.get<string>('sshConfigFile', ''),
    locale: c.get<string>('locale', ''),
    allowClipboardWrite: c.get<boolean>('allowClipboardWrite', true),
  };
}
