// Saved mosh panels, so they come back after a window reload or a VS Code restart: the list of this window's open
// panels in workspaceState (no secrets; another window has its own list), each panel's saved session in
// SecretStorage (it holds the session key), and the leases (lease.ts) that keep one session in one window.
// Storage only: when to save and how to resume is MoshTerminal's business, which panels to bring back panels.ts'.
import { randomUUID } from 'node:crypto';
import type * as vscode from 'vscode';
import type { SavedSession } from '../client';
import { SessionLeases } from './lease';
import type { CommandSpec } from './target';

const LIST_KEY = 'mosh.openPanels';
const secretKey = (id: string) => `mosh.session.${id}`;

/** What a panel connects to and runs: enough to start a fresh session like it (Reconnect). No secrets. */
export interface PanelSpec {
  target: string;
  /** Typed after ` -- ` in Connect to Host (a shell command line), or an argv; else mosh.hosts' or none. */
  command?: CommandSpec;
  /** The remote folder to start in (the workspace folder of a Remote-SSH window). */
  cwd?: string;
}

export interface PanelRecord extends PanelSpec {
  id: string;
}

export class SessionStore {
  private queue: Promise<unknown> = Promise.resolve();
  /** Leases on the sessions, held by this window instance (a new id each time the extension host starts). */
  readonly leases: SessionLeases;

  constructor(private readonly ctx: vscode.ExtensionContext) {
    this.leases = new SessionLeases(ctx.globalState, randomUUID());
  }

  /** This window's saved panels. */
  list(): PanelRecord[] {
    return this.ctx.workspaceState.get<PanelRecord[]>(LIST_KEY, []);
  }

  /** Whether there is anything to bring back (this window's panels, or an earlier version's shared list). */
  hasSaved(): boolean {
    return this.list().length > 0 || this.ctx.globalState.get<PanelRecord[]>(LIST_KEY, []).length > 0;
  }

  /**
   * Panels saved by an earlier version in the state all windows share: the first window to start takes them
   * (its leases keep a second one from running them too).
   */
  async adoptLegacy(): Promise<void> {
    const legacy = this.ctx.globalState.get<PanelRecord[]>(LIST_KEY, []);
    if (!legacy.length) return;
    await this.ctx.globalState.update(LIST_KEY, undefined);
    const mine = this.list();
    await this.ctx.workspaceState.update(LIST_KEY, [
      ...mine,
      ...legacy.filter((p) => !mine.some((m) => m.id === p.id)),
    ]);
  }

  /**
   * Saves a panel's session; resolves once it is stored (writes are serialized, so a slow one cannot overwrite a
   * newer one). Rejects when the write failed: the caller must not count on that save.
   */
  save(panel: PanelRecord, session: SavedSession): Promise<void> {
    return this.enqueue(async () => {
      await this.ctx.secrets.store(secretKey(panel.id), JSON.stringify(session));
      const list = this.list();
      if (!list.some((p) => p.id === panel.id)) await this.ctx.workspaceState.update(LIST_KEY, [...list, panel]);
    });
  }

  async load(id: string): Promise<SavedSession | undefined> {
    const text = await this.ctx.secrets.get(secretKey(id));
    if (!text) return undefined;
    try {
      return JSON.parse(text) as SavedSession;
    } catch {
      return undefined;
    }
  }

  /** Forgets a panel whose session ended: its record, its saved session and its lease. */
  remove(id: string): Promise<void> {
    return this.enqueue(async () => {
      await this.ctx.workspaceState.update(
        LIST_KEY,
        this.list().filter((p) => p.id !== id),
      );
      await this.ctx.secrets.delete(secretKey(id));
      await this.leases.forget(id);
    });
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
