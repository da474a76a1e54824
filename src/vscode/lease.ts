// Who runs a saved mosh session: one VS Code window at a time. Two clients with one session key would take the
// server from each other, and two windows saving the same sequence floor could reuse nonces. A lease in the
// state every window shares (globalState) names the owning window instance and lasts a short while; the owner
// renews it while the panel is open and releases it when the window reloads or closes, so the same window's next
// instance can take it at once, while another live window cannot. Pure logic over a Memento: no vscode import.

/** The part of vscode.Memento used here. */
export interface SharedMemento {
  get<T>(key: string, dflt: T): T;
  update(key: string, value: unknown): Thenable<void>;
}

export interface LeaseEntry {
  /** The window instance (one extension host's lifetime) that holds it. */
  owner: string;
  /** Wall-clock ms after which it is free; 0 once released. */
  until: number;
}

export const LEASES_KEY = 'mosh.sessionLeases';
/** How long a lease lasts without renewal; the owner renews it every few seconds. */
export const LEASE_MS = 20_000;

export type ClaimResult = { ok: true } | { ok: false; heldForMs: number };

export class SessionLeases {
  constructor(
    private readonly shared: SharedMemento,
    /** This window instance. */
    readonly owner: string,
    private readonly now: () => number = Date.now,
  ) {}

  private all(): Record<string, LeaseEntry> {
    return { ...this.shared.get<Record<string, LeaseEntry>>(LEASES_KEY, {}) };
  }

  /** The other owner's remaining time on `id`, or 0 when it is free, expired, released or ours. */
  heldElsewhere(id: string): number {
    const e = this.all()[id];
    if (!e || e.owner === this.owner) return 0;
    return Math.max(0, e.until - this.now());
  }

  /** Takes or renews the lease on `id`, unless another live window holds it. */
  async claim(id: string): Promise<ClaimResult> {
    const now = this.now();
    const leases = this.all();
    const e = leases[id];
    if (e && e.owner !== this.owner && e.until > now) return { ok: false, heldForMs: e.until - now };
    for (const [k, v] of Object.entries(leases)) if (v.until <= now && k !== id) delete leases[k];
    leases[id] = { owner: this.owner, until: now + LEASE_MS };
    await this.shared.update(LEASES_KEY, leases);
    return { ok: true };
  }

  /** Gives `id` up (only if ours): the next window instance may take it at once. */
  async release(id: string): Promise<void> {
    const leases = this.all();
    const e = leases[id];
    if (!e || e.owner !== this.owner) return;
    leases[id] = { owner: this.owner, until: 0 };
    await this.shared.update(LEASES_KEY, leases);
  }

  /** Forgets `id` entirely (its session ended). */
  async forget(id: string): Promise<void> {
    const leases = this.all();
    if (!(id in leases) || (leases[id].owner !== this.owner && leases[id].until > this.now())) return;
    delete leases[id];
    await this.shared.update(LEASES_KEY, leases);
  }
}
