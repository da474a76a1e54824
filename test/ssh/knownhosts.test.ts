// known_hosts: matching (plain, wildcard, negated, hashed, [host]:port), the known / unknown / changed / revoked
// verdicts, recording, fingerprints; hashing and fingerprints cross-checked with OpenSSH's ssh-keygen.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { utils } from 'ssh2';
import {
  addKnownHost,
  changedHostMessage,
  checkHostKey,
  fingerprint,
  hostFieldMatches,
  knownHostName,
  knownKeyTypes,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
  unknownHostMessage,
} from '../../src/ssh/knownhosts';
import { needs } from '../support/peers';

const dir = mkdtempSync(join(tmpdir(), 'mosh-knownhosts-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (text: string) => {
  const f = join(dir, `kh${n++}`);
  writeFileSync(f, text);
  return f;
};

function newKey(type: 'ed25519' | 'ecdsa' = 'ed25519'): { blob: Buffer; line: string } {
  const pair =
    type === 'ecdsa' ? utils.generateKeyPairSync('ecdsa', { bits: 256 }) : utils.generateKeyPairSync('ed25519');
  const [t, b64] = pair.public.split(' ');
  return { blob: Buffer.from(b64, 'base64'), line: `${t} ${b64}` };
}

describe('known_hosts', () => {
  const a = newKey();
  const b = newKey();
  const e = newKey('ecdsa');

  test('names: port 22 plain, other ports bracketed, lower-case', () => {
    assert.equal(knownHostName('Example.ORG', 22), 'example.org');
    assert.equal(knownHostName('127.0.0.1', 2222), '[127.0.0.1]:2222');
  });

  test('plain, comma-separated, wildcard and negated host fields', () => {
    assert.ok(hostFieldMatches('foo,example.org', 'example.org'));
    assert.ok(hostFieldMatches('*.example.org', 'www.example.org'));
    assert.ok(!hostFieldMatches('*.example.org,!bad.example.org', 'bad.example.org'));
    assert.ok(hostFieldMatches('[127.0.0.1]:2222', '[127.0.0.1]:2222'));
    assert.ok(!hostFieldMatches('127.0.0.1', '[127.0.0.1]:2222'));
    assert.ok(hostFieldMatches('[127.0.0.?]:*', '[127.0.0.1]:2222'));
  });

  test('a matching key is known; the same host with another key of the same type has changed', () => {
    const f = file(`# comment\n\nother.example ${b.line}\n[127.0.0.1]:2222 ${a.line}\n`);
    const known = checkHostKey([f], '[127.0.0.1]:2222', a.blob);
    assert.equal(known.status, 'known');
    const changed = checkHostKey([f], '[127.0.0.1]:2222', b.blob);
    assert.equal(changed.status, 'changed');
    assert.equal(changed.status === 'changed' && changed.offending[0].line, 4);
  });

  test('unknown host, and a host known only by keys of other types, are unknown (with those types)', () => {
    const f = file(`[127.0.0.1]:2222 ${e.line}\n`);
    assert.deepEqual(checkHostKey([f], 'nowhere', a.blob), { status: 'unknown', otherTypes: [] });
    assert.deepEqual(checkHostKey([f], '[127.0.0.1]:2222', a.blob), {
      status: 'unknown',
      otherTypes: ['ecdsa-sha2-nistp256'],
    });
    assert.deepEqual(knownKeyTypes([f], '[127.0.0.1]:2222'), ['ecdsa-sha2-nistp256']);
    assert.deepEqual(preferredHostKeyAlgorithms(['ecdsa-sha2-nistp256']).slice(0, 2), [
      'ecdsa-sha2-nistp256',
      'ssh-ed25519',
    ]);
  });

  test('@revoked wins over a match; @cert-authority lines are skipped', () => {
    const f = file(`@cert-authority * ${b.line}\n@revoked * ${a.line}\nhost ${a.line}\n`);
    assert.equal(checkHostKey([f], 'host', a.blob).status, 'revoked');
    assert.deepEqual(checkHostKey([f], 'other', b.blob), { status: 'unknown', otherTypes: [] });
  });

  test(
    'hashed entries we write are found by OpenSSH (ssh-keygen -F), and ours find its hashed ones',
    needs('ssh-keygen'),
    () => {
      const f = join(dir, 'hashed');
      addKnownHost(f, '[127.0.0.1]:2222', a.blob, true);
      const text = readFileSync(f, 'utf8');
      assert.match(text, /^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ssh-ed25519 /);
      assert.ok(!text.includes('127.0.0.1'));
      const found = execFileSync('ssh-keygen', ['-F', '[127.0.0.1]:2222', '-f', f]).toString();
      assert.match(found, /ssh-ed25519/);
      assert.equal(checkHostKey([f], '[127.0.0.1]:2222', a.blob).status, 'known');

      const g = file(`example.org ${b.line}\n[10.1.2.3]:2200 ${e.line}\n`);
      execFileSync('ssh-keygen', ['-q', '-H', '-f', g], { stdio: 'ignore' });
      const hashed = readFileSync(g, 'utf8');
      assert.ok(!hashed.includes('example.org'));
      assert.equal(checkHostKey([g], 'example.org', b.blob).status, 'known');
      assert.equal(checkHostKey([g], '[10.1.2.3]:2200', e.blob).status, 'known');
      assert.equal(checkHostKey([g], '[10.1.2.3]:2200', a.blob).status, 'unknown');
    },
  );

  test('fingerprints are those ssh-keygen -l prints', needs('ssh-keygen'), () => {
    const f = file(`h ${a.line}\n`);
    const out = execFileSync('ssh-keygen', ['-l', '-f', f]).toString();
    assert.ok(out.includes(fingerprint(a.blob)), `${out} vs ${fingerprint(a.blob)}`);
  });

  test('recording creates the folder (mode 700) and keeps one entry per line', () => {
    const f = join(dir, 'newdir', 'known_hosts');
    addKnownHost(f, 'h1', a.blob, false);
    writeFileSync(f, readFileSync(f, 'utf8').trimEnd()); // a file without a final newline
    addKnownHost(f, '[h2]:2022', b.blob, false);
    const entries = parseKnownHosts(readFileSync(f, 'utf8'), f);
    assert.deepEqual(
      entries.map((x) => [x.hosts, x.line]),
      [
        ['h1', 1],
        ['[h2]:2022', 2],
      ],
    );
    assert.equal(statSync(join(dir, 'newdir')).mode & 0o777, 0o700);
  });

  test('the messages say what OpenSSH says: fingerprint, offending line, how to fix', () => {
    const q = unknownHostMessage('[127.0.0.1]:2222', a.blob, []);
    assert.match(q, /The authenticity of host '\[127\.0\.0\.1\]:2222' can't be established\./);
    assert.ok(q.includes(`ED25519 key fingerprint is ${fingerprint(a.blob)}.`));
    const f = file(`h ${b.line}\n`);
    const st = checkHostKey([f], 'h', a.blob);
    assert.equal(st.status, 'changed');
    const m = changedHostMessage('h', a.blob, st.status === 'changed' ? st.offending : [], f);
    assert.match(m, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
    assert.ok(m.includes(`Offending ED25519 key in ${f}:1`));
    assert.ok(m.includes(fingerprint(a.blob)));
    assert.match(m, /Host key verification failed\./);
  });
});
