// A restored session never sends from a sequence floor that is not stored yet: a saved copy restored twice would
// otherwise seal two datagrams with one nonce under one key. The floor is confirmed by the front end once the
// save is written; until then nothing at or past the stored floor leaves, and a failed save says so in the bar.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MoshClient } from '../../src/client';
import { openPacket, TO_SERVER } from '../../src/transport/datagram';
import { parseKey } from '../../src/transport/key';
import { OcbAes128 } from '../../src/transport/ocb';
import { startInProcServer } from '../support/inprocserver';
import { ImpairmentRelay } from '../support/relay';
import { until } from '../support/stock';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a restored client sends nothing until its new sequence floor is confirmed stored, then only beyond the old one', async () => {
  const server = await startInProcServer({ command: ['/bin/sh'] });
  const aead = new OcbAes128(parseKey(server.key));
  const seqs: { phase: string; seq: bigint }[] = [];
  let phase = 'first';
  const relay = await ImpairmentRelay.start({
    upstreamPort: server.port,
    tap: (dir, d) => {
      if (dir !== 'toServer') return;
      const o = openPacket(aead, d);
      if (o.ok && o.packet.direction === TO_SERVER) seqs.push({ phase, seq: o.packet.seq });
    },
  });
  let restored: MoshClient | null = null;
  try {
    const first = new MoshClient({
      host: '127.0.0.1',
      port: relay.port,
      key: server.key,
      cols: 80,
      rows: 24,
      predict: 'never',
    });
    await until(() => first.status().state === 'connected', 10_000, 'the first client to connect');
    const saved = JSON.parse(JSON.stringify(first.save())) as ReturnType<MoshClient['save']>;
    first.confirmSaved(saved.seqFloor);
    await first.detach();
    phase = 'unconfirmed';
    let screen = '';
    restored = MoshClient.restore(saved, { screen: (d) => (screen += d) }, { connectTimeoutMs: 0 });
    restored.input('echo hi\r');
    await sleep(1200);
    assert.deepEqual(
      seqs.filter((s) => s.phase === 'unconfirmed'),
      [],
      'no datagram before the new floor is stored',
    );
    assert.ok(restored.transport.connection.stats.heldAtLimit > 0, 'datagrams were held at the limit');

    restored.saveFailed('disk full');
    await sleep(50);
    assert.match(screen, /could not be saved \(disk full\)/, 'the bar says why nothing is sent');

    phase = 'confirmed';
    const next = restored.save();
    restored.confirmSaved(next.seqFloor);
    await until(() => seqs.some((s) => s.phase === 'confirmed'), 5_000, 'datagrams after the confirmation');
    const floor = BigInt(saved.seqFloor);
    const after = seqs.filter((s) => s.phase === 'confirmed');
    assert.ok(
      after.every((s) => s.seq >= floor && s.seq < BigInt(next.seqFloor)),
      'every number is between the old stored floor and the new one',
    );
    const before = seqs.filter((s) => s.phase === 'first');
    assert.ok(
      before.every((s) => s.seq < floor),
      'the first client stayed below the floor it stored',
    );
    await until(
      () => server.snapshot().lines.some((l) => l.text.join('').startsWith('hi')),
      10_000,
      'the typed command to run',
    );
  } finally {
    if (restored) await restored.close();
    await relay.close();
    await server.stop();
  }
});

test("a fresh client that handed out a save but never had it confirmed stops at that save's floor", async () => {
  const server = await startInProcServer({ command: ['/bin/sh'] });
  try {
    const c = new MoshClient({
      host: '127.0.0.1',
      port: server.port,
      key: server.key,
      cols: 80,
      rows: 24,
      predict: 'never',
    });
    await until(() => c.status().state === 'connected', 10_000, 'the client to connect');
    const s = c.save();
    assert.equal(
      c.transport.connection.sendLimit,
      BigInt(s.seqFloor),
      'the limit is the floor of the first save handed out',
    );
    const later = c.save();
    assert.equal(c.transport.connection.sendLimit, BigInt(s.seqFloor), 'an unconfirmed later save does not raise it');
    c.confirmSaved(later.seqFloor);
    assert.equal(c.transport.connection.sendLimit, BigInt(later.seqFloor));
    c.confirmSaved(s.seqFloor);
    assert.equal(c.transport.connection.sendLimit, BigInt(later.seqFloor), 'an older confirmation never lowers it');
    await c.close();
  } finally {
    await server.stop();
  }
});
