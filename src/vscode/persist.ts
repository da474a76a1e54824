// Saved mosh panels, so they come back after a window reload or a VS Code restart: the list of open panels in
// globalState (no secrets), each panel's saved session in SecretStorage (it holds the session key). Storage only:
// when to save and how to resume is MoshTerminal's business.
import * as vscode from 'vscode';
import type { SavedSession } from '../client/moshclient';

const LIST_KEY = 'mosh.openPanels';
const secretKey = (id: string) => `mosh.session.${id}`;

export interface PanelRecord {
  id: string;
  target: string;
}

export class SessionStore {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly ctx: vscode.ExtensionContext) {}

  list(): PanelRecord[] {
    return this.ctx.globalState.get<PanelRecord[]>(LIST_KEY, []);
  }

  /** Saves a panel's session (writes are serialized, so a slow one cannot overwrite a newer one). */
  save(panel: PanelRecord, session: SavedSession): Promise<void> {
    return this.enqueue(async () => {
      await this.ctx.secrets.store(secretKey(panel.id), JSON.stringify(session));
      const list = this.list();
      if (!list.some((p) => p.id === panel.id)) await this.ctx.globalState.update(LIST_KEY, [...list, panel]);
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

  remove(id: string): Promise<void> {
    return this.enqueue(async () => {
      await this.ctx.globalState.update(LIST_KEY, this.list().filter((p) => p.id !== id));
      await this.ctx.secrets.delete(secretKey(id));
    });
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
