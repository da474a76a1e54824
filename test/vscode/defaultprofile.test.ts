// mosh.defaultInRemoteSsh: when the workspace's default terminal profile is set to Mosh, and when it is put back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planDefaultProfile } from '../../src/vscode/defaultprofile';

test('turned on in a Remote-SSH window: Mosh becomes the default for Linux and macOS hosts, remembering what was there', () => {
  const plan = planDefaultProfile({
    inRemoteSsh: true,
    wanted: true,
    workspaceValues: { 'defaultProfile.linux': 'zsh' },
    written: {},
  });
  assert.deepEqual(plan.updates, [
    { key: 'defaultProfile.linux', value: 'Mosh' },
    { key: 'defaultProfile.osx', value: 'Mosh' },
  ]);
  assert.deepEqual(plan.written, {
    'defaultProfile.linux': { previous: 'zsh' },
    'defaultProfile.osx': { previous: undefined },
  });
});

test('turned off: what was there before comes back (removed when there was nothing)', () => {
  const written = { 'defaultProfile.linux': { previous: 'zsh' }, 'defaultProfile.osx': { previous: undefined } };
  const plan = planDefaultProfile({
    inRemoteSsh: true,
    wanted: false,
    workspaceValues: { 'defaultProfile.linux': 'Mosh', 'defaultProfile.osx': 'Mosh' },
    written,
  });
  assert.deepEqual(plan.updates, [
    { key: 'defaultProfile.linux', value: 'zsh' },
    { key: 'defaultProfile.osx', value: undefined },
  ]);
  assert.deepEqual(plan.written, {});
});

test('a value the user changed after ours is theirs: not rewritten while on, not undone when off', () => {
  const written = { 'defaultProfile.linux': { previous: undefined }, 'defaultProfile.osx': { previous: undefined } };
  const on = planDefaultProfile({
    inRemoteSsh: true,
    wanted: true,
    workspaceValues: { 'defaultProfile.linux': 'bash', 'defaultProfile.osx': 'Mosh' },
    written,
  });
  assert.deepEqual(on.updates, []);
  const off = planDefaultProfile({
    inRemoteSsh: true,
    wanted: false,
    workspaceValues: { 'defaultProfile.linux': 'bash', 'defaultProfile.osx': 'Mosh' },
    written,
  });
  assert.deepEqual(off.updates, [{ key: 'defaultProfile.osx', value: undefined }]);
});

test('a Mosh default the user set themselves is left alone, and other windows are never changed', () => {
  const mine = planDefaultProfile({
    inRemoteSsh: true,
    wanted: true,
    workspaceValues: { 'defaultProfile.linux': 'Mosh', 'defaultProfile.osx': 'Mosh' },
    written: {},
  });
  assert.deepEqual(mine, { updates: [], written: {} });
  assert.deepEqual(
    planDefaultProfile({
      inRemoteSsh: true,
      wanted: false,
      workspaceValues: { 'defaultProfile.linux': 'Mosh' },
      written: {},
    }).updates,
    [],
  );
  assert.deepEqual(
    planDefaultProfile({ inRemoteSsh: false, wanted: true, workspaceValues: {}, written: {} }).updates,
    [],
  );
});
