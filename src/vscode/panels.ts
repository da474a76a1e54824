// The mosh panels of this window: which VS Code terminal shows which MoshTerminal, the ones still open (for
// Manage Remote Sessions and for keeping sessions when the window goes away), and bringing back the panels this
// window had open before a reload or restart. A saved session open in another window stays there (its lease).
// Not the panel itself (terminal.ts) nor the storage (persist.ts).
import * as vscode from 'vscode';
import type { PanelRecord, PanelSpec, SessionStore } from './persist';
import { MoshTerminal, type ResumeInfo, type TerminalDeps } from './terminal';

/** How long to wait for a lease another instance may still hold (a window whose reload did not release it). */
const LEASE_WAIT_STEP_MS = 2000;

export class Panels {
  /** Every MoshTerminal not yet closed. */
  readonly open = new Set<MoshTerminal>();
  private readonly terminals = new Map<vscode.Terminal, MoshTerminal>();

  constructor(
    private readonly deps: TerminalDeps,
    private readonly store: SessionStore,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** A new panel's pseudoterminal for `spec` (not yet shown). */
  create(spec: PanelSpec, resume?: ResumeInfo): MoshTerminal {
    const pty = new MoshTerminal(spec, this.deps, resume);
    this.open.add(pty);
    return pty;
  }

  /** Creates, registers and shows a terminal for `pty`. */
  show(pty: MoshTerminal, preserveFocus = false): vscode.Terminal {
    const terminal = vscode.window.createTerminal({ name: pty.target, pty, iconPath: new vscode.ThemeIcon('remote') });
    this.terminals.set(terminal, pty);
    terminal.show(preserveFocus);
    return terminal;
  }

  of(terminal: vscode.Terminal | undefined): MoshTerminal | undefined {
    return terminal ? this.terminals.get(terminal) : undefined;
  }

  /** The VS Code terminal showing `pty`, if it is still open. */
  terminalOf(pty: MoshTerminal): vscode.Terminal | undefined {
    for (const [t, p] of this.terminals) if (p === pty) return t;
    return undefined;
  }

  /** A terminal opened from the profile: remember which pseudoterminal it shows. */
  opened(t: vscode.Terminal): void {
    const pty = (t.creationOptions as vscode.ExtensionTerminalOptions).pty;
    if (pty instanceof MoshTerminal) this.terminals.set(t, pty);
  }

  /**
   * A terminal closed. Only a user's close ends the remote session; a window closing or reloading keeps it for
   * the panel to come back (so does an unknown reason: an orphaned session can be ended later, a lost one cannot).
   */
  closed(t: vscode.Terminal): void {
    const pty = this.terminals.get(t);
    this.terminals.delete(t);
    if (!pty) return;
    const reason = t.exitStatus?.reason;
    this.log.info(
      `${pty.target}: panel closed (reason ${reason === undefined ? 'unknown' : vscode.TerminalExitReason[reason]})`,
    );
    if (reason === vscode.TerminalExitReason.User) pty.end();
    else void pty.keep();
  }

  /** Recreates the panels this window had open, each continuing its remote session. Never rejects. */
  async restore(): Promise<void> {
    try {
      await this.store.adoptLegacy();
    } catch (e) {
      this.log.warn(`could not read the panels saved by an earlier version: ${(e as Error).message}`);
    }
    await Promise.all(this.store.list().map((panel) => this.restoreOne(panel)));
  }

  private async restoreOne(panel: PanelRecord): Promise<void> {
    const { id, target } = panel;
    try {
      const session = await this.store.load(id);
      if (!session) {
        await this.store.remove(id);
        return;
      }
      // A lease held by another instance: the previous instance of this window (a reload that could not release
      // it) expires soon; a live window renews it and keeps the session.
      for (let held = this.store.leases.heldElsewhere(id); held > 0; held = this.store.leases.heldElsewhere(id)) {
        await new Promise((r) => setTimeout(r, Math.min(held + 50, LEASE_WAIT_STEP_MS)));
      }
      const claim = await this.store.leases.claim(id);
      if (!claim.ok) {
        this.log.info(`${target}: the saved mosh session is open in another VS Code window; it stays there`);
        void vscode.window.showInformationMessage(
          `The mosh session on ${target} is open in another VS Code window, so it is not opened here too.`,
        );
        return;
      }
      this.log.info(`bringing back the mosh panel for ${target}`);
      this.show(this.create({ target, command: panel.command, cwd: panel.cwd }, { id, session }), true);
    } catch (e) {
      // One panel that cannot come back must not keep the others from it.
      this.log.error(`${target}: the saved panel could not be brought back: ${(e as Error).message}`);
    }
  }

  /** The window is going away: every open session is saved and kept (not ended), for its panel to come back. */
  async keepAll(): Promise<void> {
    await Promise.all([...this.open].map((t) => t.keep().catch(() => undefined)));
  }
}
