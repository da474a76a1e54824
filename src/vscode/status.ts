// The status bar item of the active mosh terminal: host, round-trip time and connection state.
import * as vscode from 'vscode';
import type { ClientStatus } from '../client/moshclient';

export function statusText(host: string, s: ClientStatus): { text: string; tooltip: string } {
  switch (s.state) {
    case 'connecting':
      return { text: `$(sync~spin) mosh ${host}`, tooltip: `Connecting to ${host}` };
    case 'waiting': {
      const secs = s.lastContactMs === null ? null : Math.round(s.lastContactMs / 1000);
      return { text: `$(warning) mosh ${host}${secs !== null ? ` · ${secs} s` : ''}`, tooltip: `No contact with ${host}${secs !== null ? ` for ${secs} seconds` : ''}; mosh keeps trying and will resume by itself.` };
    }
    case 'gone':
      return { text: `$(debug-disconnect) mosh ${host}`, tooltip: `The session with ${host} has ended.` };
    default:
      return { text: `$(remote) mosh ${host}${s.rttMs !== null ? ` · ${s.rttMs} ms` : ''}`, tooltip: `Connected to ${host}${s.rttMs !== null ? `, round trip ${s.rttMs} ms` : ''}` };
  }
}

export class MoshStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);

  constructor() {
    this.item.command = 'mosh.showLog';
  }

  show(host: string, s: ClientStatus): void {
    const { text, tooltip } = statusText(host, s);
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.show();
  }

  hide(): void {
    this.item.hide();
  }

  dispose(): void {
    this.item.dispose();
  }
}
