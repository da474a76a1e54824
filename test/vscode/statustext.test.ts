// The status bar's words for each connection state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatAge, statusText } from '../../src/vscode/statustext';

test('connected: the round trip time', () => {
  const s = statusText('devbox', { state: 'connected', rttMs: 42, lastContactMs: 120 });
  assert.equal(s.text, '$(remote) mosh devbox · 42 ms');
  assert.equal(s.severity, 'ok');
});

test('no contact for a while: how long ago, not the last round trip time', () => {
  const s = statusText('devbox', { state: 'waiting', rttMs: 5, lastContactMs: 12_400 });
  assert.equal(s.text, '$(warning) mosh devbox · last contact 12 s ago');
  assert.doesNotMatch(s.text, /5 ms/);
  assert.match(s.tooltip, /resumes by itself/);
  assert.equal(s.severity, 'warning');
  assert.equal(
    statusText('devbox', { state: 'waiting', rttMs: 5, lastContactMs: 125_000 }).text,
    '$(warning) mosh devbox · last contact 2 min 5 s ago',
  );
});

test('ended and connecting say so', () => {
  assert.equal(
    statusText('h', { state: 'gone', rttMs: 5, lastContactMs: 1 }).text,
    '$(debug-disconnect) mosh h · ended',
  );
  assert.equal(statusText('h', { state: 'gone', rttMs: 5, lastContactMs: 1 }).severity, 'error');
  assert.equal(statusText('h', { state: 'connecting', rttMs: null, lastContactMs: null }).text, '$(sync~spin) mosh h');
});

test('ages read as seconds, then minutes, then hours', () => {
  assert.equal(formatAge(0), '0 s');
  assert.equal(formatAge(59_999), '59 s');
  assert.equal(formatAge(60_000), '1 min 0 s');
  assert.equal(formatAge(3_600_000 + 4 * 60_000), '1 h 4 min');
  assert.equal(formatAge(-5), '0 s');
});
