// Authentication pieces that need no server: which agents are asked on each platform, and reading the public
// half of an encrypted OpenSSH key without its passphrase (so the passphrase is asked only when needed).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultAgents, opensshPublicBlob } from '../../src/ssh/auth';
import { needs } from '../support/peers';

test('agents: IdentityAgent wins, "none" disables; SSH_AUTH_SOCK; on Windows also the OpenSSH pipe and Pageant', () => {
  assert.deepEqual(defaultAgents('/run/agent.sock', { SSH_AUTH_SOCK: '/x' }, 'linux'), ['/run/agent.sock']);
  assert.deepEqual(defaultAgents('none', { SSH_AUTH_SOCK: '/x' }, 'linux'), []);
  assert.deepEqual(defaultAgents(undefined, { SSH_AUTH_SOCK: '/x' }, 'linux'), ['/x']);
  assert.deepEqual(defaultAgents(undefined, {}, 'darwin'), []);
  assert.deepEqual(defaultAgents(undefined, {}, 'win32'), ['\\\\.\\pipe\\openssh-ssh-agent', 'pageant']);
});

test('the public key of an encrypted OpenSSH private key is read without the passphrase', needs('ssh-keygen'), () => {
  const dir = mkdtempSync(join(tmpdir(), 'mosh-auth-'));
  try {
    const key = join(dir, 'k');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', key]);
    const blob = opensshPublicBlob(readFileSync(key, 'utf8'));
    assert.ok(blob);
    assert.equal(blob.toString('base64'), readFileSync(`${key}.pub`, 'utf8').split(' ')[1]);
    assert.equal(opensshPublicBlob('-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n'), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
