// The server picks a UTF-8 locale for the shell, or says clearly that none exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseLocale } from '../../server/locale';

test('keeps our own UTF-8 locale', () => {
  assert.deepEqual(chooseLocale({ LANG: 'en_US.UTF-8' }, { LANG: 'de_DE.UTF-8' }, () => []).env, {});
});

test("applies the client's -l settings when ours is not UTF-8", () => {
  assert.deepEqual(chooseLocale({ LANG: 'C' }, { LANG: 'C.UTF-8' }, () => []).env, { LANG: 'C.UTF-8' });
});

test('falls back to an installed UTF-8 locale, preferring C.UTF-8', () => {
  const r = chooseLocale({}, {}, () => ['C', 'POSIX', 'en_US.utf8', 'C.utf8']);
  assert.deepEqual(r.env, { LC_ALL: 'C.utf8' });
  assert.match(r.note ?? '', /C\.utf8/);
});

test('without any UTF-8 locale it refuses with words that say what to install', () => {
  const r = chooseLocale({ LANG: 'C' }, { LANG: 'fr_FR' }, () => ['C', 'POSIX']);
  assert.match(r.error ?? '', /needs a UTF-8 native locale/);
  assert.match(r.error ?? '', /locale-gen|locales/);
});
