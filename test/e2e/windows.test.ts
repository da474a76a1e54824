// Panels belong to the window that opened them: a second VS Code window (same browser profile, so the same global
// state, its own extension host) does not open the first window's mosh panels, the first window's session keeps
// working while the second exists, and a reload of the first still brings its panel back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sshdNeeds } from '../support/sshd';
import { connectInCodeServer } from './support/moshflow';
import { packagedForThisFile } from './support/vsix';
import { e2eNeeds, openAnotherWindow, type Workbench } from './support/workbench';

const vsix = packagedForThisFile('windows');

const needs = (() => {
  const a = e2eNeeds();
  const b = sshdNeeds();
  return a.skip || b.skip ? { skip: a.skip ?? b.skip } : {};
})();

test(
  "a second window does not take the first window's mosh panel; the first keeps it, also after a reload",
  { ...needs, timeout: 10 * 60_000 },
  async (t) => {
    const flow = await connectInCodeServer('two-windows', vsix().vsix, (m) => t.diagnostic(m));
    const { wb, cs } = flow;
    let second: Workbench | null = null;
    try {
      const mark = randomBytes(4).toString('hex');
      await wb.typeInTerminal(`export MARK=${mark}; clear; echo "rea""dy"`, { enter: true });
      await wb.waitForTerminal((text) => text.split('\n').some((l) => l.trim() === 'ready'));
      await new Promise((r) => setTimeout(r, 4000)); // saved, and the global state flushed, before the second window

      const other = join(cs.runDir, 'other-folder');
      mkdirSync(other, { recursive: true });
      writeFileSync(join(other, 'README.txt'), "the second window's folder\n");
      const url = new URL(cs.url);
      url.searchParams.set('folder', other);
      second = await openAnotherWindow(wb, url.toString(), { name: 'two-windows-second', log: (m) => t.diagnostic(m) });
      // the extension is active in the second window too. CI once saw the Output view not show the log within
      // 15 s (cause not known; the command may have run while that window's extension host was starting), so it is
      // asked again
      for (let attempt = 1; ; attempt++) {
        await second.page.bringToFront(); // a tab in the background may not lay out its views
        await second.runCommand('Mosh: Show Log');
        try {
          await second.waitForOutputChannel(/Mosh/, { timeoutMs: 10_000 });
          break;
        } catch (e) {
          if (attempt === 3) throw e;
          t.diagnostic(`Show Log, attempt ${attempt}: ${(e as Error).message}`);
        }
      }
      await new Promise((r) => setTimeout(r, 8000)); // time for a (wrong) restore to happen
      await second.screenshot('second-window');
      const secondText = await second.terminalText();
      assert.ok(!secondText.includes('ready'), `the second window shows the first window's panel:\n${secondText}`);
      const secondLog = (await second.outputView())?.text ?? '';
      assert.doesNotMatch(secondLog, /bringing back the mosh panel/);

      await wb.page.bringToFront();
      await wb.typeInTerminal('echo "[$MARK]"', { enter: true });
      await wb.waitForTerminal((text) => text.includes(`[${mark}]`), { timeoutMs: 30_000 });
      await wb.screenshot('first-still-works');

      await wb.runCommand('Developer: Reload Window');
      await new Promise((r) => setTimeout(r, 3000));
      await wb.waitForTerminal((text) => text.includes(`[${mark}]`), { timeoutMs: 90_000 });
      await wb.typeInTerminal('echo "again-$MARK"', { enter: true });
      await wb.waitForTerminal((text) => text.includes(`again-${mark}`), { timeoutMs: 30_000 });
      await wb.screenshot('first-after-reload');
    } catch (e) {
      await wb.screenshot('failure').catch(() => {});
      await second?.screenshot('failure').catch(() => {});
      throw new Error(`${(e as Error).message}\nextension host log tail:\n${cs.extensionHostLog().slice(-2000)}`);
    } finally {
      await second?.close();
      await flow.stop();
    }
  },
);
