// Drives one mosh session with our MoshClient (in this process) into a headless screen: wait for a shell
// prompt, run a command, see its output, quit. For tests that must show a bootstrap ends in a working session.
import { MoshClient } from '../../src/client';
import { Screen, until } from './stock';

export interface Endpoint {
  ip: string;
  port: number;
  key: string;
}

/** Runs `echo` of a computed marker in the remote shell and returns the screen text that showed it. */
export async function proveSession(ep: Endpoint, timeoutMs = 15_000): Promise<string> {
  const screen = new Screen(80, 24);
  let pending = Promise.resolve();
  let exited = false;
  const client = new MoshClient(
    { host: ep.ip, port: ep.port, key: ep.key, cols: 80, rows: 24, predict: 'never' },
    { screen: (d) => (pending = pending.then(() => screen.write(d))), exit: () => (exited = true) },
  );
  const text = async () => (await pending, screen.text());
  try {
    await until(async () => /[$#>] ?$/m.test(await text()), timeoutMs, 'a shell prompt');
    client.input('echo "MARK-$((6*7))"\r');
    await until(async () => (await text()).includes('MARK-42'), timeoutMs, 'the command output MARK-42');
    return await text();
  } catch (e) {
    throw new Error(`${(e as Error).message}; the screen shows:\n${await text()}`);
  } finally {
    if (!exited) await Promise.race([client.close(), new Promise((r) => setTimeout(r, 3000).unref())]);
    screen.dispose();
  }
}
