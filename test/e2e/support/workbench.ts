// Drives the VS Code workbench that code-server serves, in Debian's headless Chromium through playwright-core
// (TESTING.md, "A real VS Code in a real browser"). Only loopback requests leave the page; everything else is
// aborted and listed in `blocked`. Screenshots go to test-artifacts/<test name>/NN-<step>.png.
//
//   const wb = await openWorkbench(cs.url, { name: 'smoke' });
//   await wb.runCommand('Mosh: Show Log');          // retried until the extension's command is registered
//   await wb.typeInTerminal('echo hi', { enter: true });
//   await wb.waitForTerminal(/hi/);
//   await wb.screenshot('echo');
//   await wb.close();
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { needs, which } from '../../support/peers';
import { artifactsDirFor, codeServerInstallNeeds, safeName, type Log } from './codeserver';

export const CHROMIUM = process.env.MOSH_E2E_CHROMIUM || which('chromium') || '/usr/bin/chromium';
/** The flags this machine's Chromium needs: no sandbox as root, no GPU, and no background connections. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Test options for a UI test: Debian's Chromium, plus what installing code-server needs unless it is cached.
 *  `test(name, e2eNeeds(), fn)`; under MOSH_TEST_REQUIRE_ALL=1 a missing one fails. */
export function e2eNeeds(): { skip?: string } {
  return needs('chromium', ...codeServerInstallNeeds());
}

export interface WorkbenchOptions {
  /** The test's name: screenshots go to test-artifacts/<name>/. */
  name: string;
  viewport?: { width: number; height: number };
  /** Bound on loading the workbench (default 60 s). */
  timeoutMs?: number;
  log?: Log;
}

export type TextMatch = string | RegExp | ((text: string) => boolean);

export interface Workbench {
  readonly page: Page;
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly artifactsDir: string;
  /** Non-loopback URLs the page tried to load (aborted). */
  readonly blocked: string[];
  /** console.error messages and uncaught page errors, in order. */
  readonly pageErrors: string[];
  /** Saves test-artifacts/<name>/NN-<step>.png and returns its path. */
  screenshot(step: string): Promise<string>;
  /** Runs a command from the palette by its title ("Mosh: Show Log"). Retries while the command is not yet
   *  listed (the palette does not refresh when an extension's contributions arrive late). */
  runCommand(title: string, opts?: { attempts?: number }): Promise<void>;
  /** Waits for the quick input (quick pick or input box), optionally for one showing `text`; returns its text. */
  waitForQuickInput(opts?: { text?: TextMatch; timeoutMs?: number }): Promise<string>;
  /** Replaces the quick input's value with `value` and, unless enter is false, accepts it. */
  answerQuickInput(value: string, opts?: { enter?: boolean }): Promise<void>;
  /** The Output view, when it is the panel's visible view: the selected channel's name and the visible text. */
  outputView(): Promise<{ channel: string; text: string } | null>;
  /** Waits until the Output view shows a channel whose name matches; returns outputView(). */
  waitForOutputChannel(name: TextMatch, opts?: { timeoutMs?: number }): Promise<{ channel: string; text: string }>;
  /** Texts of the notification toasts currently shown. */
  notifications(): Promise<string[]>;
  /** The text of the modal dialog shown (host key prompts, command errors), or null. */
  dialog(): Promise<string | null>;
  /** Clicks a button of the modal dialog by its label. */
  clickDialogButton(label: string): Promise<void>;
  /** Texts of the visible status bar items (icons are not text). */
  statusBarItems(): Promise<string[]>;
  /** Waits until a status bar item's text matches; returns that text (the timeout error lists them all). */
  waitForStatusBarItem(match: TextMatch, opts?: { timeoutMs?: number }): Promise<string>;
  /** Clicks the first status bar item whose text matches. */
  clickStatusBarItem(match: TextMatch): Promise<void>;
  /** Saves a screenshot of the status bar item whose text matches, with some room around it; returns its path. */
  screenshotStatusBarItem(step: string, match: TextMatch): Promise<string>;
  /** Rows of the visible terminal (DOM renderer), right-trimmed; [] when none is visible. */
  terminalRows(): Promise<string[]>;
  /** terminalRows() joined with newlines. */
  terminalText(): Promise<string>;
  /** Waits until the visible terminal's text matches; returns that text (the timeout error includes it). */
  waitForTerminal(match: TextMatch, opts?: { timeoutMs?: number }): Promise<string>;
  /** Focuses the visible terminal (without clicking into it) and types; Enter after it if enter is set. */
  typeInTerminal(text: string, opts?: { enter?: boolean; delayMs?: number }): Promise<void>;
  /** Presses one key or chord (Playwright names: 'Enter', 'Control+C') in the visible terminal. */
  pressInTerminal(key: string): Promise<void>;
  /** The visible terminal's size in character cells, read from its DOM rows and measured cell width. */
  terminalSize(): Promise<{ cols: number; rows: number }>;
  /** Resizes the browser viewport (so the whole workbench, the panel with it). */
  resizeViewport(width: number, height: number): Promise<void>;
  /** Drags the border between the editor area and the panel by dy pixels (positive: down, smaller panel). */
  dragPanelEdge(dy: number): Promise<void>;
  /** Closes the browser and removes its profile. Idempotent. */
  close(): Promise<void>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function matches(text: string, m: TextMatch): boolean {
  if (typeof m === 'string') return text.includes(m);
  if (m instanceof RegExp) return m.test(text);
  return m(text);
}

function isLoopback(u: URL): boolean {
  if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') return true;
  return u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
}

/** In-page: the visible terminal's rows (DOM renderer rows, else the screen reader tree). */
const VISIBLE_TERMINAL_ROWS = `(() => {
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const terms = [...document.querySelectorAll('.xterm')].filter(visible);
  const t = terms.find((x) => x.classList.contains('focus')) || terms[0];
  if (!t) return [];
  const rowsEl = t.querySelector('.xterm-rows');
  const rows = rowsEl ? [...rowsEl.children] : [];
  const text = (els) => els.map((r) => (r.textContent || '').replace(/\\u00a0/g, ' ').replace(/\\s+$/, ''));
  if (rows.length) return text(rows);
  const tree = t.querySelector('.xterm-accessibility-tree');
  return tree ? text([...tree.children]) : [];
})()`;

export async function openWorkbench(url: string, opts: WorkbenchOptions): Promise<Workbench> {
  const artifactsDir = artifactsDirFor(opts.name);
  mkdirSync(artifactsDir, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'mosh-e2e-chromium-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    env: {
      ...process.env,
      HOME: profile,
      XDG_CONFIG_HOME: join(profile, '.config'),
      XDG_CACHE_HOME: join(profile, '.cache'),
      TMPDIR: profile,
    },
    timeout: 30_000,
  });
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 } });
  const blocked: string[] = [];
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (isLoopback(u)) return route.continue();
    blocked.push(u.href);
    return route.abort('blockedbyclient');
  });
  return workbenchOnPage(await context.newPage(), url, opts, {
    browser,
    context,
    blocked,
    closeAll: async () => {
      await browser.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  });
}

/**
 * A second VS Code window in the same browser profile (what a second desktop window is: the same global state,
 * its own extension host), on `url` (e.g. another folder). Closing it closes only its page.
 */
export async function openAnotherWindow(first: Workbench, url: string, opts: WorkbenchOptions): Promise<Workbench> {
  const page = await first.context.newPage();
  return workbenchOnPage(page, url, opts, {
    browser: first.browser,
    context: first.context,
    blocked: first.blocked,
    closeAll: () => page.close().catch(() => {}),
  });
}

async function workbenchOnPage(
  page: Page,
  url: string,
  opts: WorkbenchOptions,
  shared: { browser: Browser; context: BrowserContext; blocked: string[]; closeAll: () => Promise<void> },
): Promise<Workbench> {
  const log = opts.log ?? (() => {});
  const artifactsDir = artifactsDirFor(opts.name);
  const { browser, context, blocked } = shared;
  const pageErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  page.on('pageerror', (e) => pageErrors.push(String(e)));

  let shots = 0;
  let closed = false;
  const quickInput = page.locator('.quick-input-widget');
  const quickInputBox = page.locator('.quick-input-widget .quick-input-box input');

  async function visibleTerminalTextarea() {
    const handle = await page.evaluateHandle(`(() => {
      const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
      const terms = [...document.querySelectorAll('.xterm')].filter(visible);
      const t = terms.find((x) => x.classList.contains('focus')) || terms[0];
      return t ? t.querySelector('textarea.xterm-helper-textarea') : null;
    })()`);
    const el = handle.asElement();
    if (!el) throw new Error('no visible terminal');
    return el;
  }

  const wb: Workbench = {
    page,
    browser,
    context,
    artifactsDir,
    blocked,
    pageErrors,

    async screenshot(step) {
      const file = join(artifactsDir, `${String(++shots).padStart(2, '0')}-${safeName(step)}.png`);
      await page.screenshot({ path: file });
      log(`screenshot ${file}`);
      return file;
    },

    async runCommand(title, { attempts = 30 } = {}) {
      for (let i = 1; i <= attempts; i++) {
        if (await quickInput.isVisible()) await page.keyboard.press('Escape');
        await page.keyboard.press('F1');
        try {
          await quickInputBox.waitFor({ state: 'visible', timeout: 5000 });
        } catch {
          await page.keyboard.press('Control+Shift+P');
          await quickInputBox.waitFor({ state: 'visible', timeout: 10_000 });
        }
        const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: title }).first();
        try {
          // Inside the attempt: the workbench can close the palette before it is typed into (focus taken by a
          // view or editor opening as the extension activates); that attempt then fails and the next reopens it.
          await quickInputBox.fill('>' + title, { timeout: 5000 });
          await row.waitFor({ state: 'visible', timeout: 2000 });
          // The row's label must be exactly the title ("Mosh: Show Log", not "Mosh: Show Log Level"). Clicked, not
          // reached with arrow keys: the list may still reorder (recently used) in between.
          const exactly = new RegExp(`^\\s*${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+')}\\s*$`);
          await page
            .locator('.quick-input-widget .quick-input-list .monaco-list-row')
            .filter({
              has: page.locator('.label-name', {
                hasText: exactly,
              }),
            })
            .first()
            .click({ timeout: 2000 });
          await quickInput.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
          log(`ran "${title}" from the palette (attempt ${i})`);
          return;
        } catch (e) {
          log(`the palette did not run "${title}" (attempt ${i}): ${(e as Error).message.split('\n')[0]}`);
          await page.keyboard.press('Escape');
          await sleep(500);
        }
      }
      throw new Error(`the command "${title}" never appeared in the command palette`);
    },

    async waitForQuickInput({ text, timeoutMs = 30_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      let last = '';
      for (;;) {
        if (await quickInput.isVisible()) {
          last = await quickInput.innerText().catch(() => '');
          if (!text || matches(last, text)) return last;
        }
        if (Date.now() > deadline)
          throw new Error(
            `no quick input${text ? ` showing ${String(text)}` : ''} within ${timeoutMs} ms; last seen: ${JSON.stringify(last)}`,
          );
        await sleep(150);
      }
    },

    async answerQuickInput(value, { enter = true } = {}) {
      await quickInputBox.waitFor({ state: 'visible', timeout: 15_000 });
      await quickInputBox.fill(value);
      if (enter) await quickInputBox.press('Enter');
    },

    async outputView() {
      return (await page.evaluate(`(() => {
        const view = document.querySelector('.part.panel .output-view');
        if (!view || view.getBoundingClientRect().height === 0) return null;
        const select = [...document.querySelectorAll('.part.panel select.monaco-select-box')].find((s) => s.getBoundingClientRect().width > 0);
        const lines = view.querySelector('.view-lines');
        return { channel: select ? (select.selectedOptions[0]?.textContent || select.value) : '', text: lines ? lines.innerText.replace(/\u00a0/g, ' ') : '' };
      })()`)) as { channel: string; text: string } | null;
    },

    async waitForOutputChannel(name, { timeoutMs = 15_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const v = await wb.outputView();
        if (v && matches(v.channel, name)) return v;
        if (Date.now() > deadline)
          throw new Error(
            `the Output view never showed the channel ${String(name)} within ${timeoutMs} ms (seen: ${JSON.stringify(v)})`,
          );
        await sleep(200);
      }
    },

    async notifications() {
      return page.locator('.notifications-toasts .notification-toast').allInnerTexts();
    },

    async dialog() {
      const box = page.locator('.monaco-dialog-box');
      if (!(await box.isVisible().catch(() => false))) return null;
      return box.innerText();
    },

    async clickDialogButton(label) {
      await page
        .locator('.monaco-dialog-box .dialog-buttons a.monaco-button', { hasText: label })
        .first()
        .click({ timeout: 10_000 });
    },

    async statusBarItems() {
      const items = page.locator('.part.statusbar .statusbar-item');
      const texts = await items.allInnerTexts();
      return texts.map((t) => t.replace(/\s+/g, ' ').trim()).filter(Boolean);
    },

    async waitForStatusBarItem(match, { timeoutMs = 30_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      let seen: string[] = [];
      for (;;) {
        seen = await wb.statusBarItems();
        const hit = seen.find((t) => matches(t, match));
        if (hit !== undefined) return hit;
        if (Date.now() > deadline)
          throw new Error(
            `no status bar item showed ${String(match)} within ${timeoutMs} ms; seen: ${JSON.stringify(seen)}`,
          );
        await sleep(200);
      }
    },

    async clickStatusBarItem(match) {
      const items = page.locator('.part.statusbar .statusbar-item');
      const texts = (await items.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
      const i = texts.findIndex((t) => t && matches(t, match));
      if (i < 0)
        throw new Error(`no status bar item shows ${String(match)}; seen: ${JSON.stringify(texts.filter(Boolean))}`);
      await items.nth(i).click();
    },

    async screenshotStatusBarItem(step, match) {
      const items = page.locator('.part.statusbar .statusbar-item');
      const texts = (await items.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
      const i = texts.findIndex((t) => t && matches(t, match));
      if (i < 0)
        throw new Error(`no status bar item shows ${String(match)}; seen: ${JSON.stringify(texts.filter(Boolean))}`);
      const box = await items.nth(i).boundingBox();
      const view = page.viewportSize();
      if (!box || !view) throw new Error('the status bar item has no position');
      const x = Math.max(0, box.x - 160);
      const y = Math.max(0, box.y - 90);
      const clip = {
        x,
        y,
        width: Math.min(view.width - x, box.width + 320),
        height: Math.min(view.height - y, box.height + 90),
      };
      const file = join(artifactsDir, `${String(++shots).padStart(2, '0')}-${safeName(step)}.png`);
      await page.screenshot({ path: file, clip });
      log(`screenshot ${file}`);
      return file;
    },

    async terminalRows() {
      return (await page.evaluate(VISIBLE_TERMINAL_ROWS)) as string[];
    },

    async terminalText() {
      return (await wb.terminalRows()).join('\n');
    },

    async waitForTerminal(match, { timeoutMs = 30_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      let text = '';
      for (;;) {
        text = await wb.terminalText();
        if (matches(text, match)) return text;
        if (Date.now() > deadline)
          throw new Error(
            `the terminal never showed ${String(match)} within ${timeoutMs} ms; it shows:\n${text.replace(/\n+$/, '')}`,
          );
        await sleep(200);
      }
    },

    async typeInTerminal(text, { enter = false, delayMs = 10 } = {}) {
      const ta = await visibleTerminalTextarea();
      await ta.focus();
      if (text) await page.keyboard.type(text, { delay: delayMs });
      if (enter) await page.keyboard.press('Enter');
    },

    async pressInTerminal(key) {
      const ta = await visibleTerminalTextarea();
      await ta.focus();
      await page.keyboard.press(key);
    },

    async terminalSize() {
      return (await page.evaluate(`(() => {
        const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
        const terms = [...document.querySelectorAll('.xterm')].filter(visible);
        const t = terms.find((x) => x.classList.contains('focus')) || terms[0];
        if (!t) return { cols: 0, rows: 0 };
        const rows = t.querySelector('.xterm-rows');
        const screen = t.querySelector('.xterm-screen');
        const measure = t.querySelector('.xterm-char-measure-element');
        const cell = measure ? measure.getBoundingClientRect().width / Math.max(1, (measure.textContent || '').length) : 0;
        const width = screen ? screen.getBoundingClientRect().width : 0;
        return { cols: cell ? Math.round(width / cell) : 0, rows: rows ? rows.children.length : 0 };
      })()`)) as { cols: number; rows: number };
    },

    async resizeViewport(width, height) {
      await page.setViewportSize({ width, height });
      await sleep(300); // the workbench relayouts on the window's resize event
    },

    async dragPanelEdge(dy) {
      const panel = await page.locator('.part.panel').boundingBox();
      if (!panel) throw new Error('the panel is not open');
      // The horizontal sash at the panel's top edge
      const sashes = await page.locator('.monaco-sash.horizontal').evaluateAll((els) =>
        els.map((e) => {
          const r = e.getBoundingClientRect();
          return { x: r.x, y: r.y, w: r.width, h: r.height };
        }),
      );
      const sash = sashes.filter(
        (s) =>
          s.w > 0 &&
          Math.abs(s.y + s.h / 2 - panel.y) <= 4 &&
          s.x <= panel.x + panel.width / 2 &&
          s.x + s.w >= panel.x + panel.width / 2,
      )[0];
      if (!sash) throw new Error(`no sash at the panel's top edge (panel at y=${panel.y})`);
      const x = panel.x + panel.width / 2;
      const y = sash.y + sash.h / 2;
      await page.mouse.move(x, y);
      await page.mouse.down();
      const steps = 10;
      for (let i = 1; i <= steps; i++) await page.mouse.move(x, y + (dy * i) / steps);
      await page.mouse.up();
      await sleep(300);
    },

    async close() {
      if (closed) return;
      closed = true;
      await shared.closeAll();
    },
  };

  try {
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: opts.timeoutMs ?? 60_000 });
    await page.waitForSelector('.monaco-workbench', { timeout: opts.timeoutMs ?? 60_000 });
    await page.waitForSelector('.statusbar', { timeout: opts.timeoutMs ?? 60_000 });
    // Focus the workbench so that keyboard shortcuts (F1) reach it
    await page
      .locator('.monaco-workbench')
      .click({ position: { x: 600, y: 300 } })
      .catch(() => {});
    log('workbench loaded');
  } catch (e) {
    await wb.screenshot('workbench-load-failed').catch(() => {});
    await wb.close();
    throw e;
  }
  return wb;
}
