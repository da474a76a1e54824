// mosh.hosts: which entries apply to a host, which value wins, and how it combines with the global settings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyHostSettings, hostKeyMatches, resolveHostSettings } from '../../src/vscode/hostsettings';

test('keys are ssh-style patterns matched against the host without user and port, ignoring case', () => {
  assert.ok(hostKeyMatches('devbox', 'devbox'));
  assert.ok(hostKeyMatches('devbox', 'alice@devbox:2222'));
  assert.ok(hostKeyMatches('DevBox', 'devbox'));
  assert.ok(hostKeyMatches('*.example.com', 'build.example.com'));
  assert.ok(!hostKeyMatches('*.example.com', 'example.com'));
  assert.ok(hostKeyMatches('web?', 'web1'));
  assert.ok(!hostKeyMatches('web?', 'web10'));
  assert.ok(hostKeyMatches('10.0.0.*', '10.0.0.7'));
  assert.ok(!hostKeyMatches('10.0.0.*', '10.0.1.7'), 'dots are literal');
  assert.ok(hostKeyMatches('*', 'anything'));
  assert.ok(hostKeyMatches('fe80::1', '[fe80::1]:22'));
});

test('a key may list several patterns; a "!" pattern excludes', () => {
  assert.ok(hostKeyMatches('a, b c', 'b'));
  assert.ok(hostKeyMatches('a,b,c', 'c'));
  assert.ok(!hostKeyMatches('a, b', 'd'));
  assert.ok(!hostKeyMatches('*.lab !old.lab', 'old.lab'));
  assert.ok(hostKeyMatches('*.lab !old.lab', 'new.lab'));
  assert.ok(!hostKeyMatches('!old.lab', 'new.lab'), 'a negation alone matches nothing');
});

test('a pattern with @ is matched against user@host', () => {
  assert.ok(hostKeyMatches('root@*', 'root@devbox'));
  assert.ok(!hostKeyMatches('root@*', 'alice@devbox'));
  assert.ok(!hostKeyMatches('root@*', 'devbox'));
});

test('the first matching entry wins, field by field, in the order the settings list them', () => {
  const hosts = {
    devbox: { command: 'tmux new -A -s main' },
    '*.lab, devbox': { server: 'system', command: 'ignored: devbox has one already', udpPortRange: '60000:60010' },
    '*': { predictionDisplay: 'always', server: 'bundled' },
  };
  const r = resolveHostSettings(hosts, 'alice@devbox');
  assert.deepEqual(r.values, {
    command: 'tmux new -A -s main',
    server: 'system',
    udpPortRange: '60000:60010',
    predictionDisplay: 'always',
  });
  assert.deepEqual(r.from, {
    command: 'devbox',
    server: '*.lab, devbox',
    udpPortRange: '*.lab, devbox',
    predictionDisplay: '*',
  });
  assert.deepEqual(r.problems, []);
  assert.deepEqual(resolveHostSettings(hosts, 'web.lab').values, {
    server: 'system',
    command: 'ignored: devbox has one already',
    udpPortRange: '60000:60010',
    predictionDisplay: 'always',
  });
  assert.deepEqual(resolveHostSettings(hosts, 'elsewhere').values, { predictionDisplay: 'always', server: 'bundled' });
});

test('a command is a command line (string) or an argv (array of strings)', () => {
  assert.deepEqual(resolveHostSettings({ h: { command: ['tmux', 'new', '-A'] } }, 'h').values, {
    command: ['tmux', 'new', '-A'],
  });
  assert.deepEqual(resolveHostSettings({ h: { command: 'htop' } }, 'h').values, { command: 'htop' });
  for (const bad of [[], [1, 2], '  ', 42, { x: 1 }]) {
    const r = resolveHostSettings({ h: { command: bad } }, 'h');
    assert.deepEqual(r.values, {}, `command ${JSON.stringify(bad)}`);
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0], /mosh\.hosts\["h"\]\.command/);
  }
});

test('wrong values and unknown fields are reported and skipped, and a later entry can still set the field', () => {
  const r = resolveHostSettings(
    { h: { predictionDisplay: 'sometimes', colour: 'red', server: 3 }, '*': { predictionDisplay: 'never' } },
    'h',
  );
  assert.deepEqual(r.values, { predictionDisplay: 'never' });
  assert.equal(r.problems.length, 3);
  assert.ok(r.problems.some((p) => /predictionDisplay must be one of adaptive, always, never, experimental/.test(p)));
  assert.ok(r.problems.some((p) => /colour is not a per-host setting/.test(p)));
  assert.ok(r.problems.some((p) => /server must be a string/.test(p)));
  assert.deepEqual(resolveHostSettings({ h: 'tmux' }, 'h').problems, ['mosh.hosts["h"] must be an object']);
  assert.deepEqual(resolveHostSettings(['h'], 'h').problems, [
    'mosh.hosts must be an object whose keys are host patterns',
  ]);
  assert.deepEqual(resolveHostSettings(undefined, 'h'), { values: {}, from: {}, problems: [] });
});

test('per-host values override the global settings; the rest stay global', () => {
  const global = {
    server: 'auto',
    predictionDisplay: 'adaptive' as const,
    udpPortRange: '',
    remoteNodePath: '',
    locale: 'en_US.UTF-8',
    predictOverwrite: true,
  };
  const { settings, command } = applyHostSettings(
    global,
    { 'dev*': { server: 'system', udpPortRange: '60001', command: ['tmux'] } },
    'devbox',
  );
  assert.deepEqual(settings, { ...global, server: 'system', udpPortRange: '60001' });
  assert.deepEqual(command, ['tmux']);
  const other = applyHostSettings(global, { 'dev*': { server: 'system' } }, 'prod');
  assert.deepEqual(other.settings, global);
  assert.equal(other.command, undefined);
});
