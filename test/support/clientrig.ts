// A session for client tests: our MoshClient (test/support/ourclient.ts) reaching stock mosh-server or our server
// (in this process, framebuffer readable) through the impairment relay. Test support only.
import assert from 'node:assert/strict';
import type { Snapshot } from '../../src/emulator';
import { startInProcServer } from './inprocserver';
import { type OurClient, screenDiff, startOurClient } from './ourclient';
import { ImpairmentRelay, type LinkParams } from './relay';
import { startStockServer, until } from './stock';
import type { DisplayPreference } from '../../src/predict';

export type ServerKind = 'stock' | 'ours';

export interface RigServer {
  port: number;
  key: string;
  /** The server's own framebuffer, when the test can read it (our server). */
  snapshot?: () => Snapshot;
  stop(): Promise<void>;
}

export async function startRigServer(kind: ServerKind, dir: string): Promise<RigServer> {
  if (kind === 'ours') {
    const s = await startInProcServer({ cwd: dir, env: { HOME: dir } });
    return { port: s.port, key: s.key, snapshot: s.snapshot, stop: async () => void (await s.stop()) };
  }
  const s = await startStockServer({ env: { HOME: dir, PS1: '$ ', ENV: '' } });
  return {
    port: s.port,
    key: s.key,
    stop: async () => {
      // After a clean close the server exits by itself; otherwise it is killed.
      await until(() => !s.alive(), 5_000, 'stock mosh-server to exit').catch(() => s.kill());
    },
  };
}

export interface Rig {
  kind: ServerKind;
  server: RigServer;
  relay: ImpairmentRelay;
  c: OurClient;
  /**
   * The server's framebuffer: our server's own, or, for stock mosh-server (whose framebuffer cannot be read from
   * outside), the newest state the client received from it.
   */
  serverView(): Snapshot;
  /** Closes the client (handshake, on an unimpaired link), the server and the relay. */
  close(): Promise<void>;
}

export interface RigOptions {
  seed?: number;
  toServer?: Partial<LinkParams>;
  toClient?: Partial<LinkParams>;
  predict?: DisplayPreference;
}

export async function startRig(kind: ServerKind, dir: string, opts: RigOptions = {}): Promise<Rig> {
  const server = await startRigServer(kind, dir);
  let relay: ImpairmentRelay;
  try {
    relay = await ImpairmentRelay.start({
      upstreamPort: server.port,
      seed: opts.seed ?? 1,
      toServer: opts.toServer,
      toClient: opts.toClient,
    });
  } catch (e) {
    await server.stop();
    throw e;
  }
  const c = startOurClient({
    host: '127.0.0.1',
    port: relay.port,
    key: server.key,
    predict: opts.predict ?? 'adaptive',
  });
  return {
    kind,
    server,
    relay,
    c,
    serverView: () => (server.snapshot ? server.snapshot() : c.received()),
    close: async () => {
      relay.set('both', { blackhole: false, delayMs: 0, jitterMs: 0, loss: 0, reorder: 0, duplicate: 0 });
      await c.close();
      await server.stop();
      await relay.close();
    },
  };
}

/**
 * Waits (bounded) until what the client drew equals `expected()` cell for cell and in cursor position, then
 * asserts it, listing the differences if it never does.
 */
export async function converges(
  r: Rig,
  what: string,
  expected: () => Snapshot = r.serverView,
  timeoutMs = 10_000,
): Promise<void> {
  await until(
    async () => (await r.c.settled(), screenDiff(r.c.emulator.snapshot(), expected()).length === 0),
    timeoutMs,
    what,
  ).catch(() => undefined);
  await r.c.settled();
  assert.deepEqual(
    screenDiff(r.c.emulator.snapshot(), expected()),
    [],
    `${what}: the client's screen differs from the server's`,
  );
}
