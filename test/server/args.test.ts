// Our mosh-server's command line, as stock's (mosh-protocol.md 10.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePortRange, parseServerArgs } from '../../server/args';

test('parses the options the mosh wrapper passes', () => {
  const r = parseServerArgs(
    ['new', '-c', '256', '-s', '-l', 'LANG=C.UTF-8', '-p', '60100:60200', '--', 'tmux', 'attach'],
    { SSH_CONNECTION: '10.0.0.9 50000 ::ffff:127.0.0.5 22' },
  );
  assert.equal(r.kind, 'new');
  if (r.kind !== 'new') return;
  assert.equal(r.args.colors, 256);
  assert.equal(r.args.bindIp, '127.0.0.5', '-s takes the local address from SSH_CONNECTION, ::ffff: stripped');
  assert.deepEqual(r.args.locale, { LANG: 'C.UTF-8' });
  assert.deepEqual(r.args.ports, [60100, 60200]);
  assert.deepEqual(r.args.command, ['tmux', 'attach']);
});

test('defaults: ports 60001-60999, login shell, attached options like -i127.0.0.1 and -vv', () => {
  const r = parseServerArgs(['new', '-i127.0.0.1', '-vv'], {});
  assert.equal(r.kind, 'new');
  if (r.kind !== 'new') return;
  assert.deepEqual(r.args.ports, [60001, 60999]);
  assert.equal(r.args.bindIp, '127.0.0.1');
  assert.equal(r.args.verbose, 2);
  assert.equal(r.args.command, undefined);
});

test('port specs: single, range, 0 = any; a range may not start at 0', () => {
  assert.deepEqual(parsePortRange('0'), [0, 0]);
  assert.deepEqual(parsePortRange('60005'), [60005, 60005]);
  assert.deepEqual(parsePortRange('60005:60010'), [60005, 60010]);
  assert.equal(parsePortRange('0:10'), null);
  assert.equal(parsePortRange('70000'), null);
  assert.equal(parsePortRange('10:5'), null);
  assert.equal(parsePortRange('abc'), null);
});

test('bad input gets clear words; -s without SSH_CONNECTION warns; unknown options warn and carry on', () => {
  const bad = parseServerArgs(['new', '-p', 'x']);
  assert.equal(bad.kind, 'error');
  assert.match(bad.kind === 'error' ? bad.message : '', /Bad UDP port range/);
  assert.equal(parseServerArgs(['new', '-l', 'NOEQUALS']).kind, 'error');
  assert.equal(parseServerArgs(['new', '--']).kind, 'error');
  const s = parseServerArgs(['new', '-s'], {});
  assert.ok(s.kind === 'new' && /SSH_CONNECTION not found/.test(s.args.warning ?? ''));
  const u = parseServerArgs(['new', '-z'], {});
  assert.ok(u.kind === 'new' && /Unknown option -z/.test(u.args.warning ?? ''));
  assert.equal(parseServerArgs(['--version']).kind, 'version');
  assert.equal(parseServerArgs(['new', '--help']).kind, 'help');
});

test('legacy forms: no arguments, IP, IP PORT', () => {
  const r = parseServerArgs(['127.0.0.1', '60009'], {});
  assert.ok(r.kind === 'new' && r.args.bindIp === '127.0.0.1' && r.args.ports[0] === 60009);
  assert.equal(parseServerArgs([], {}).kind, 'new');
});
