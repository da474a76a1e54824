// Persistent panels, end to end in code-server: a mosh panel comes back after a window reload, attached to the
// same remote shell (a variable exported before the reload is still set), with no new ssh login. Scrollback: output
// longer than the panel's scrollback leaves its last N lines in the panel's buffer, every one, in order; the
// restored panel holds them again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sshdNeeds } from '../support/sshd';
import { canBind, connectInCodeServer } from './support/moshflow';
import { packagedForThisFile } from './support/vsix';
import { e2eNeeds, type Workbench } from './support/workbench';

const vsix = packagedForThisFile('reload');

const needs = (() => {
  const a = e2eNeeds();
  const b = sshdNeeds();
  return a.skip || b.skip ? { skip: a.skip ?? b.skip } : {};
})();

const SCROLLBACK = 500;
const SEQ = 3000;

/**
 * Scrolls the panel to its oldest row and checks that the buffer holds the output's last lines, each once and in
 * order: the top rows are consecutive numbers starting where a local terminal with this scrollback would start
 * (`tail`: the rows below SEQ, "ready" and the prompt at least).
 */
async function checkScrollback(wb: Workbench, step: string, tail: number): Promise<void> {
  await wb.runCommand('Terminal: Scroll to Top');
  await new Promise((r) => setTimeout(r, 500));
  const rows = await wb.terminalRows();
  await wb.screenshot(`${step}-scrolled-to-top`);
  const nums = rows.map((l) => l.trim());
  const first = Number(nums[0]);
  const expected = SEQ - (SCROLLBACK + rows.length - tail) + 1;
  assert.ok(
    nums.every((l, i) => l === String(first + i)),
    `${step}: the oldest rows are consecutive lines of the output:\n${rows.join('\n')}`,
  );
  assert.ok(
    Math.abs(first - expected) <= 2,
    `${step}: the buffer starts at line ${first}; a terminal keeping ${SCROLLBACK} lines and ${rows.length} rows starts at ${expected}`,
  );
  await wb.runCommand('Terminal: Scroll to Bottom');
}

test(
  'after a window reload the mosh panel is back on the same remote shell, its scrollback full again',
  { ...needs, timeout: 10 * 60_000 },
  async (t) => {
    const flow = await connectInCodeServer('reload', vsix().vsix, (m) => t.diagnostic(m), {
      settings: { 'terminal.integrated.scrollback': SCROLLBACK },
    });
    const { wb, cs } = flow;
    try {
      const mark = randomBytes(4).toString('hex');
      await wb.typeInTerminal(`export MARK=${mark}; clear; seq 1 ${SEQ}; echo "rea""dy"`, { enter: true });
      await wb.waitForTerminal((text) => text.split('\n').some((l) => l.trim() === 'ready'));
      await new Promise((r) => setTimeout(r, 4000)); // at least one periodic save after the export
      await wb.screenshot('before-reload');
      await checkScrollback(wb, 'before-reload', 3);

      await wb.runCommand('Developer: Reload Window');
      await new Promise((r) => setTimeout(r, 3000));
      await wb.waitForTerminal((text) => text.split('\n').some((l) => l.trim() === 'ready'), { timeoutMs: 90_000 });
      await wb.screenshot('after-reload');
      await wb.typeInTerminal('echo "[$MARK]"', { enter: true });
      await wb.waitForTerminal((text) => text.includes(`[${mark}]`), { timeoutMs: 30_000 });
      await wb.screenshot('same-shell');
      // In contact again: the history came back before the screen (and the echo moved two more lines into it).
      await checkScrollback(wb, 'after-reload', 5);

      // Manage Remote Sessions lists this one session, as owned by the open panel (so not picked for ending).
      await wb.runCommand('Mosh: Manage Remote Sessions...');
      await wb.waitForQuickInput({ text: /moshbox/ });
      await wb.answerQuickInput('moshbox');
      await wb.waitForQuickInput({ text: /password/i, timeoutMs: 60_000 });
      await wb.answerQuickInput(flow.sshd.password);
      const list = await wb.waitForQuickInput({ text: /UDP port/, timeoutMs: 60_000 });
      await wb.screenshot('remote-sessions');
      assert.match(list, new RegExp(`UDP port ${flow.udpPort}`));
      assert.match(list, /open in the panel "moshbox"/);
      assert.equal((list.match(/UDP port \d+/g) ?? []).length, 1, list);
      await wb.page.keyboard.press('Escape');
    } catch (e) {
      await wb.screenshot('failure').catch(() => {});
      const { execSync } = await import('node:child_process');
      const procs = execSync(
        'ps -eo pid,ppid,etimes,args | grep -E "vscode-mosh-daemon|extensionHost|bootstrap-fork" | grep -v grep || true',
        { encoding: 'utf8' },
      );
      const serverAlive = !(await canBind(flow.udpPort));
      throw new Error(
        `${(e as Error).message}\nserver alive: ${serverAlive}; relay: ${JSON.stringify(flow.relay.stats)} client ${JSON.stringify(flow.relay.clientAddress)}\nprocesses:\n${procs}\nextension host log tail:\n${cs.extensionHostLog().slice(-1500)}`,
      );
    } finally {
      await flow.stop();
    }
  },
);
