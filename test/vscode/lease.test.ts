// One window per saved session: the lease logic over a shared memento (what globalState is to every window).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LEASE_MS, SessionLeases, type SharedMemento } from '../../src/vscode/lease';

class Shared implements SharedMemento {
  data = new Map<string, unknown>();
  get<T>(key: string, dflt: T): T {
    return this.data.has(key) ? (structuredClone(this.data.get(key)) as T) : dflt;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.data.set(key, structuredClone(value));
  }
}

test('a live lease of another window keeps the session there; an expired or released one is taken', async () => {
  let now = 1_000_000;
  const shared = new Shared();
  const a = new SessionLeases(shared, 'window-a', () => now);
  const b = new SessionLeases(shared, 'window-b', () => now);
  assert.deepEqual(await a.claim('s1'), { ok: true });
  assert.equal(b.heldElsewhere('s1'), LEASE_MS);
  const refused = await b.claim('s1');
  assert.equal(refused.ok, false, 'the second window cannot take a live session');
  now += LEASE_MS / 2;
  assert.deepEqual(await a.claim('s1'), { ok: true }, 'the owner renews');
  now += LEASE_MS - 1;
  assert.equal((await b.claim('s1')).ok, false, 'renewed: still held');
  now += 2;
  assert.deepEqual(await b.claim('s1'), { ok: true }, 'expired: taken');
  assert.equal((await a.claim('s1')).ok, false, 'and now the first one is refused');
  await b.release('s1');
  assert.equal(a.heldElsewhere('s1'), 0);
  assert.deepEqual(await a.claim('s1'), { ok: true }, 'released: the next instance takes it at once');
  await b.forget('s1');
  assert.equal(b.heldElsewhere('s1'), LEASE_MS, 'a window cannot forget a lease another window holds');
  await a.forget('s1');
  assert.equal(b.heldElsewhere('s1'), 0);
});
