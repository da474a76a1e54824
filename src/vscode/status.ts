// The status bar item of the active mosh panel (texts in statustext.ts). A click runs mosh.statusMenu: Show Log,
// Manage Remote Sessions, Reconnect. Holds no session state of its own.
import * as vscode from 'vscode';
import type { ClientStatus } from '../client';
import { statusText } from './statustext';

export class MoshStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('mosh.status', vscode.StatusBarAlignment.Left, 50);

  constructor() {
    this.item.name = 'Mosh';
    this.item.command = 'mosh.statusMenu';
  }

  show(host: string, s: ClientStatus): void {
    const { text, tooltip, severity } = statusText(host, s);
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: text.replace(/\$\([^)]*\)\s*/g, '') };
    this.item.backgroundColor =
      severity === 'warning'
        ? new vscode.ThemeColor('statusBarItem.warningBackground')
        : severity === 'error'
          ? new vscode.ThemeColor('statusBarItem.errorBackground')
          : undefined;
    this.item.show();
  }

  hide(): void {
    this.item.hide();
  }

  dispose(): void {
    this.item.dispose();
  }
}
