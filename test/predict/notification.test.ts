// Notification bar behaviour (mosh-protocol.md 10.3): exact texts for each case, lifetimes, timers, refresh
// cadence, and the row-0 cells and renditions it draws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emulator, rowText, type Snapshot } from '../../src/emulator';
import { BAR_TEXT, escapeKeyName, humanReadableDuration, NotificationEngine } from '../../src/predict/notification';
import { cells } from './harness';

function screen(text = '$ ls\r\nfile\r\n$ '): Snapshot {
  const em = new Emulator(60, 4);
  em.write(text);
  const s = em.snapshot();
  em.dispose();
  return s;
}

const T0 = 100000;

test('nothing is drawn while the server is heard from and no message is set', () => {
  const n = new NotificationEngine({ now: T0 });
  const fb = screen();
  assert.equal(n.apply(fb, T0 + 6500), fb);
  assert.equal(n.text(T0 + 6500), null);
});

test('server late after 6.5 s: "Last contact N seconds ago." with the quit hint', () => {
  const n = new NotificationEngine({ now: T0 });
  assert.equal(n.text(T0 + 6501), 'mosh: Last contact 6 seconds ago. [To quit: Ctrl-^ .]');
  n.serverAcked(T0 + 500); // acks do not count as contact
  assert.equal(n.text(T0 + 7999), 'mosh: Last contact 7 seconds ago. [To quit: Ctrl-^ .]');
});

test('reply late (acked state older than 10 s) while the server is heard: "Last reply"', () => {
  const n = new NotificationEngine({ now: T0 });
  n.serverHeard(T0 + 9000);
  assert.equal(n.text(T0 + 10000), null);
  assert.equal(n.text(T0 + 12000), 'mosh: Last reply 12 seconds ago. [To quit: Ctrl-^ .]');
  // once the server is late too, contact wins and counts from the last word
  assert.equal(n.text(T0 + 15501), 'mosh: Last contact 6 seconds ago. [To quit: Ctrl-^ .]');
});

test('durations: seconds under a minute, M:SS under an hour, then H:MM:SS', () => {
  assert.equal(humanReadableDuration(59.9, false), '59 seconds');
  assert.equal(humanReadableDuration(59, true), '59 s');
  assert.equal(humanReadableDuration(65, false), '1:05');
  assert.equal(humanReadableDuration(3599, true), '59:59');
  assert.equal(humanReadableDuration(3600 + 62, false), '1:01:02');
  const n = new NotificationEngine({ now: T0 });
  assert.equal(n.text(T0 + 358000), 'mosh: Last contact 5:58 ago. [To quit: Ctrl-^ .]');
});

test('a message shows with the quit hint, and with the late time in its short form', () => {
  const n = new NotificationEngine({ now: T0 });
  n.setNotificationString('Nothing received from server on UDP port 60001.', T0, { permanent: true });
  assert.equal(n.text(T0 + 100), 'mosh: Nothing received from server on UDP port 60001. [To quit: Ctrl-^ .]');
  assert.equal(
    n.text(T0 + 12000),
    'mosh: Nothing received from server on UDP port 60001. (12 s without contact.) [To quit: Ctrl-^ .]',
  );
  n.serverHeard(T0 + 11000);
  assert.equal(
    n.text(T0 + 12000),
    'mosh: Nothing received from server on UDP port 60001. (12 s without reply.) [To quit: Ctrl-^ .]',
  );
});

test('the escape help has no quit hint; the hint names the configured escape key', () => {
  const n = new NotificationEngine({ now: T0 });
  n.setNotificationString(BAR_TEXT.escapeHelp(), T0, { permanent: true, showQuitKeystroke: false });
  assert.equal(n.text(T0 + 5000), 'mosh: Commands: Ctrl-Z suspends, "." quits, "^" gives literal Ctrl-^');
  assert.equal(
    n.text(T0 + 9000),
    'mosh: Commands: Ctrl-Z suspends, "." quits, "^" gives literal Ctrl-^ (9 s without contact.)',
  );
  n.clearMessage();
  assert.equal(n.text(T0 + 10000), 'mosh: Last contact 10 seconds ago. [To quit: Ctrl-^ .]');
  const m = new NotificationEngine({ now: T0, escapeKeyName: escapeKeyName(0x1d) });
  assert.equal(m.text(T0 + 7000), 'mosh: Last contact 7 seconds ago. [To quit: Ctrl-] .]');
  assert.equal(escapeKeyName(0x1e), 'Ctrl-^');
  assert.equal(escapeKeyName(0x7e), '~');
});

test('ordinary messages last 1 s, permanent ones stay', () => {
  const n = new NotificationEngine({ now: T0 });
  const fb = screen();
  n.setNotificationString('hello', T0);
  assert.equal(rowText(n.apply(fb, T0 + 999), 0).trimEnd(), 'mosh: hello [To quit: Ctrl-^ .]');
  assert.equal(n.apply(fb, T0 + 1000), fb);
  assert.equal(n.message, '');
  n.setNotificationString(BAR_TEXT.exitingOnUserRequest, T0, { permanent: true });
  assert.equal(rowText(n.apply(fb, T0 + 5000), 0).trimEnd(), 'mosh: Exiting on user request... [To quit: Ctrl-^ .]');
});

test('network errors last 3.1 s, and go 1 s after sends succeed again', () => {
  const n = new NotificationEngine({ now: T0 });
  n.setNetworkError('sendto: Network is unreachable', T0);
  assert.equal(n.text(T0 + 3000), 'mosh: sendto: Network is unreachable [To quit: Ctrl-^ .]');
  n.expire(T0 + 3099);
  assert.equal(n.message, 'sendto: Network is unreachable');
  n.expire(T0 + 3100);
  assert.equal(n.message, '');

  n.setNetworkError('sendto: Network is unreachable', T0 + 4000);
  n.clearNetworkError(T0 + 4500);
  n.expire(T0 + 5499);
  assert.equal(n.message, 'sendto: Network is unreachable');
  n.expire(T0 + 5500);
  assert.equal(n.message, '');

  n.setNotificationString('other', T0 + 6000, { permanent: true });
  n.clearNetworkError(T0 + 6000);
  n.expire(T0 + 60000);
  assert.equal(n.message, 'other', 'clearing a network error leaves other messages alone');
});

test('the bar overwrites row 0: bold white-on-blue text, white-on-blue padding; other rows untouched', () => {
  const n = new NotificationEngine({ now: T0 });
  const fb = screen();
  const v = n.apply(fb, T0 + 7000);
  const text = 'mosh: Last contact 7 seconds ago. [To quit: Ctrl-^ .]';
  assert.equal(rowText(v, 0), text + ' '.repeat(60 - text.length));
  assert.deepEqual(cells(v, 0, 0, 2), ['m|1;37;44', 'o|1;37;44']);
  assert.deepEqual(cells(v, 0, text.length - 1, 2), [']|1;37;44', ' |37;44']);
  assert.deepEqual(cells(v, 0, 59, 1), [' |37;44']);
  assert.equal(v.lines[0].widths, null);
  assert.equal(v.lines[0].wraps, false);
  for (let y = 1; y < 4; y++) assert.equal(v.lines[y], fb.lines[y], 'rows below are shared, not copied');
  assert.deepEqual(v.cursor, fb.cursor, 'cursor on row 2 stays visible');
  assert.equal(rowText(fb, 0), '$ ls', 'the framebuffer itself is untouched');
});

test('the cursor is hidden when it is on row 0', () => {
  const n = new NotificationEngine({ now: T0 });
  const fb = screen('$ ');
  const v = n.apply(fb, T0 + 7000);
  assert.deepEqual(v.cursor, { x: 2, y: 0, visible: false });
});

test('text longer than the row is cut; wide characters keep their two cells or are left out', () => {
  const n = new NotificationEngine({ now: T0 });
  const em = new Emulator(12, 2);
  const fb = em.snapshot();
  em.dispose();
  n.setNotificationString('ab中文字', T0, { permanent: true, showQuitKeystroke: false });
  const v = n.apply(fb, T0);
  // "mosh: ab" is 8 cells, 中 and 文 take 4 more; 字 does not fit
  assert.equal(rowText(v, 0), 'mosh: ab中文');
  assert.equal(v.lines[0].widths, '111111112020');
  assert.deepEqual(cells(v, 0, 8, 2), ['中|1;37;44', '|1;37;44']);
  n.setNotificationString('abcde中', T0, { permanent: true, showQuitKeystroke: false });
  const w = n.apply(fb, T0);
  assert.equal(rowText(w, 0), 'mosh: abcde ');
  assert.deepEqual(cells(w, 0, 11, 1), [' |37;44']);
});

test('waitTime: message expiry, the start of lateness, then a once-a-second count-up, 3 s after a minute', () => {
  const n = new NotificationEngine({ now: T0 });
  assert.equal(n.waitTime(T0), 6501, 'wake up when the server becomes late');
  n.setNotificationString('hi', T0);
  assert.equal(n.waitTime(T0 + 200), 800);
  n.expire(T0 + 1000);
  assert.equal(n.waitTime(T0 + 7000), 1000);
  assert.equal(n.waitTime(T0 + 7300), 700);
  assert.equal(n.waitTime(T0 + 61000), 3000);
  assert.equal(n.waitTime(T0 + 61400), 2600);
  n.serverHeard(T0 + 61400);
  assert.equal(n.waitTime(T0 + 61400), 600, 'still reply-late: counts up from the acked state (61.4 s ago)');
  n.serverAcked(T0 + 61400);
  assert.equal(n.waitTime(T0 + 61400), 6501);
});

test('the bar state is plain data and can be restored', () => {
  const n = new NotificationEngine({ now: T0 });
  n.setNotificationString('saved', T0, { permanent: true });
  const saved = JSON.parse(JSON.stringify(n.saveState())) as ReturnType<NotificationEngine['saveState']>;
  const m = new NotificationEngine({ now: 0 }, saved);
  assert.equal(m.text(T0 + 8000), n.text(T0 + 8000));
});

test('with no escape key (VS Code: closing the panel quits) the bar has no quit hint', () => {
  const n = new NotificationEngine({ now: 0, escapeKeyName: '' });
  n.serverHeard(0);
  assert.equal(n.text(7500), 'mosh: Last contact 7 seconds ago.');
});
