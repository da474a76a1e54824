// A TCP relay on loopback that can go silent: it forwards connections to a local port until freeze(), then drops
// every byte both ways while keeping the connections open, as a network link that died without a reset does.
// Test support for ssh keepalive and stall tests only.
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface FreezingRelay {
  port: number;
  /** From now on nothing passes, in either direction, on any connection. */
  freeze(): void;
  close(): Promise<void>;
}

export async function startFreezingRelay(targetPort: number): Promise<FreezingRelay> {
  let frozen = false;
  const sockets = new Set<Socket>();
  const server = createServer((down) => {
    const up = connect({ host: '127.0.0.1', port: targetPort });
    for (const s of [down, up]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    down.on('data', (d) => frozen || up.write(d));
    up.on('data', (d) => frozen || down.write(d));
    down.on('end', () => frozen || up.end());
    up.on('end', () => frozen || down.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    freeze: () => (frozen = true),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
