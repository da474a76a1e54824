// The host picker's list comes from the ssh layer's own reading of the config: Host lines in file order, patterns
// left out, and every file an Include names (globs, relative to ~/.ssh, inside Host blocks too).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { listHosts } from '../../src/ssh/hostlist';
import { resolveHost } from '../../src/ssh/config';

test('hosts from Include globs are listed, patterns are not, each host once', () => {
  const home = mkdtempSync(join(tmpdir(), 'mosh-hostlist-'));
  try {
    mkdirSync(join(home, '.ssh', 'config.d'), { recursive: true });
    writeFileSync(
      join(home, '.ssh', 'config'),
      'Include config.d/*\nHost alpha beta\n  User a\nHost *.example.com !skip gamma,delta\n  Port 2222\nHost beta\n  Port 1\nMatch host zeta\n  Include ~/.ssh/extra\n',
    );
    writeFileSync(join(home, '.ssh', 'config.d', 'work'), 'Host work-box\n  HostName 10.0.0.1\n');
    writeFileSync(join(home, '.ssh', 'config.d', 'home'), 'Host home-nas\n');
    writeFileSync(join(home, '.ssh', 'config.d', '.hidden'), 'Host hidden\n');
    writeFileSync(join(home, '.ssh', 'extra'), 'Host extra-host\n');
    const hosts = listHosts({ configFiles: [join(home, '.ssh', 'config')], home });
    assert.deepEqual(hosts, ['home-nas', 'work-box', 'alpha', 'beta', 'gamma', 'delta', 'extra-host']);
    // ... and the same reader's resolution agrees about a host that came from an Include glob.
    assert.equal(resolveHost('work-box', { configFiles: [join(home, '.ssh', 'config')], home }).hostname, '10.0.0.1');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
