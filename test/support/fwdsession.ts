// A shell session between our client (in this process, with or without agent forwarding) and a server (ours or
// the stock mosh-server), for the agent-forwarding tests: the client's screen and the forwarding statuses it
// reported. Test support only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ForwardingStatus } from '../../src/client/forwarding';
import { startOurClient } from './ourclient';
import { type StockServer, startOurServer, startStockServer, until } from './stock';

const COLS = 120;

export async function withSession(
  o: { stock?: boolean; forward?: { path?: string }; env?: Record<string, string> },
  body: (c: ReturnType<typeof startOurClient>, statuses: ForwardingStatus[], server: StockServer) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mosh-fwd-'));
  const server = await (o.stock ? startStockServer : startOurServer)({
    command: ['/bin/sh'],
    env: { HOME: dir, PS1: '$ ', ENV: '', ...o.env },
  });
  const statuses: ForwardingStatus[] = [];
  const c = startOurClient(
    {
      host: '127.0.0.1',
      port: server.port,
      key: server.key,
      cols: COLS,
      rows: 24,
      predict: 'never',
      forwardAgent: o.forward,
    },
    { forwarding: (s) => statuses.push(s) },
  );
  try {
    await c.waitScreen((l) => l.some((x) => x.startsWith('$')), 10_000, 'the prompt');
    await body(c, statuses, server);
  } finally {
    await c.close();
    await until(() => !server.alive(), 10_000, 'the server to exit').catch(() => server.kill());
    rmSync(dir, { recursive: true, force: true });
  }
}
