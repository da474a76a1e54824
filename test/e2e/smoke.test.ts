// The packaged extension, end to end: `npm run package` makes a small .vsix, with no warning from vsce, holding the
// self-contained bundles, the server's pty binaries for the four platforms it deploys to, and what the Marketplace
// page needs (icon, readme with its pictures, changelog, manifest fields, walkthrough); those bundles run from the
// unpacked .vsix with no node_modules; and in a real VS Code (code-server in headless Chromium) the .vsix installs,
// the extension activates without errors (with no remote.extensionKind setting), "Mosh: Show Log" shows its log,
// and "Mosh: Get Started" opens the walkthrough. Screenshots and code-server's logs go to test-artifacts/e2e-smoke/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXTENSION_ID, ensureCodeServer, freshArtifactsDir, startCodeServer } from './support/codeserver';
import { packageExtension, type Packaged } from './support/vsix';
import { e2eNeeds, openWorkbench } from './support/workbench';
import { unzipTo, zipEntries, zipRead } from './support/zip';
import { alive } from '../support/process';

const MAX_VSIX_BYTES = 10 * 1024 * 1024;
const PLATFORMS = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64'] as const;

let tmp = '';
let packaged: Packaged | undefined;
let packagingError: unknown;

before(
  async () => {
    tmp = mkdtempSync(join(tmpdir(), 'mosh-e2e-vsix-'));
    try {
      packaged = await packageExtension(join(tmp, 'vscode-mosh.vsix'), { timeoutMs: 240_000 });
    } catch (e) {
      packagingError = e;
    }
  },
  { timeout: 300_000 },
);

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function vsix(): Packaged {
  if (!packaged)
    throw packagingError instanceof Error ? packagingError : new Error(`packaging failed: ${String(packagingError)}`);
  return packaged;
}

/** What a native binary is built for, read from its ELF or Mach-O header. */
function binaryTarget(b: Buffer): string {
  if (b.readUInt32BE(0) === 0x7f454c46) {
    const machine = b.readUInt16LE(18);
    return `linux-${machine === 62 ? 'x64' : machine === 183 ? 'arm64' : `machine${machine}`}`;
  }
  if (b.readUInt32LE(0) === 0xfeedfacf) {
    const cpu = b.readUInt32LE(4);
    return `darwin-${cpu === 0x01000007 ? 'x64' : cpu === 0x0100000c ? 'arm64' : `cpu${cpu.toString(16)}`}`;
  }
  return `unknown(${b.subarray(0, 4).toString('hex')})`;
}

test(
  'npm run package makes a .vsix under 10 MB holding the bundles and the pty binaries of four platforms, and nothing else',
  { timeout: 300_000 },
  (t) => {
    const p = vsix();
    t.diagnostic(`${p.vsix}: ${(p.bytes / 1024).toFixed(0)} KiB, packaged in ${(p.ms / 1000).toFixed(1)} s`);
    assert.ok(p.bytes <= MAX_VSIX_BYTES, `the .vsix is ${p.bytes} bytes, over ${MAX_VSIX_BYTES}`);

    const zip = readFileSync(p.vsix);
    const entries = zipEntries(zip).filter((e) => !e.name.endsWith('/'));
    const names = entries.map((e) => e.name).sort();
    t.diagnostic(`files: ${names.join(', ')}`);
    const required = [
      'extension.vsixmanifest',
      'extension/package.json',
      'extension/LICENSE.txt',
      'extension/dist/extension.js',
      'extension/dist/session.js',
      'extension/dist/ssh.js',
      'extension/dist/server.js',
      'extension/media/icon.png',
      ...PLATFORMS.map((pl) => `extension/dist/pty/${pl}/pty.node`),
      ...PLATFORMS.filter((pl) => pl.startsWith('darwin')).map((pl) => `extension/dist/pty/${pl}/spawn-helper`),
    ];
    for (const r of required) assert.ok(names.includes(r), `the .vsix lacks ${r}`);
    const allowed = [
      /^\[Content_Types\]\.xml$/,
      /^extension\.vsixmanifest$/,
      /^extension\/(package\.json|readme\.md|LICENSE\.txt|changelog\.md)$/i,
      /^extension\/dist\/(extension|session|ssh|server)\.js$/,
      /^extension\/dist\/pty\/(linux|darwin)-(x64|arm64)\/(pty\.node|spawn-helper)$/,
      /^extension\/media\/[^/]+\.png$/,
      /^extension\/media\/walkthrough\/[^/]+\.(png|md)$/,
    ];
    const unexpected = names.filter((n) => !allowed.some((re) => re.test(n)));
    assert.deepEqual(
      unexpected,
      [],
      'files in the .vsix that it does not need (node_modules, sources, tests, build output...)',
    );

    // Each binary is built for the folder it sits in, and spawn-helper keeps its executable bit
    for (const e of entries.filter((x) => x.name.startsWith('extension/dist/pty/'))) {
      const folder = e.name.split('/')[3];
      const head = zipRead(zip, e).subarray(0, 32);
      assert.equal(binaryTarget(head), folder, `${e.name} is built for ${binaryTarget(head)}`);
      if (e.name.endsWith('spawn-helper'))
        assert.ok(e.mode & 0o100, `${e.name} is not executable in the .vsix (mode ${e.mode.toString(8)})`);
    }
  },
);

/** Width and height of a PNG, from its IHDR chunk. */
function pngSize(b: Buffer): { width: number; height: number } {
  assert.equal(b.subarray(1, 4).toString('latin1'), 'PNG', 'not a PNG');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

test(
  'vsce packages with no warning, and the .vsix has what the Marketplace page needs: icon, readme pictures, changelog, manifest fields, walkthrough',
  { timeout: 300_000 },
  () => {
    const p = vsix();
    assert.doesNotMatch(p.output, /WARNING/i, `vsce warned:\n${p.output}`);
    const zip = readFileSync(p.vsix);
    const entries = zipEntries(zip);
    const file = (name: string): Buffer => {
      // vsce stores the readme and the changelog as readme.md and changelog.md
      const e =
        entries.find((x) => x.name === `extension/${name}`) ??
        entries.find(
          (x) => /^(readme|changelog)\.md$/i.test(name) && x.name.toLowerCase() === `extension/${name.toLowerCase()}`,
        );
      assert.ok(e, `the .vsix lacks ${name}`);
      return zipRead(zip, e);
    };
    const manifest = JSON.parse(file('package.json').toString('utf8'));
    assert.deepEqual(manifest.extensionKind, ['ui', 'workspace']);
    assert.equal(manifest.main, './dist/extension.js');
    assert.match(manifest.repository?.url ?? '', /^https:\/\/github\.com\/[\w.-]+\/[\w.-]+(\.git)?$/);
    assert.match(manifest.bugs?.url ?? '', /^https:\/\//);
    assert.match(manifest.homepage ?? '', /^https:\/\//);
    assert.ok(manifest.displayName && manifest.description && manifest.publisher && manifest.license === 'MIT');
    assert.ok(Array.isArray(manifest.categories) && manifest.categories.length > 0);
    assert.ok(
      Array.isArray(manifest.keywords) && manifest.keywords.length > 0 && manifest.keywords.length <= 30,
      'at most 30 keywords',
    );
    assert.ok(manifest.galleryBanner?.color);

    const icon = pngSize(file(manifest.icon));
    assert.ok(
      icon.width >= 128 && icon.height >= 128 && icon.width === icon.height,
      `the icon is ${icon.width}x${icon.height}`,
    );

    assert.match(file('CHANGELOG.md').toString('utf8'), /^# Changelog/m);

    // The readme's pictures: vsce rewrote their relative paths to https addresses in the repository; each one is
    // also in the .vsix at its relative path (so the picture the Marketplace shows is the one packaged).
    const readme = file('README.md').toString('utf8');
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)[^)]*\)/g)].map((m) => m[1]);
    assert.ok(images.length >= 2, `the readme shows ${images.length} pictures`);
    const base = `${manifest.repository.url.replace(/\.git$/, '')}/raw/HEAD/`;
    for (const src of images) {
      assert.ok(src.startsWith(base), `readme picture ${src} is not an https address in the repository (${base})`);
      const rel = src.slice(base.length);
      const img = pngSize(file(rel));
      assert.ok(img.width > 0 && img.height > 0, rel);
    }

    // The walkthrough's steps and their media
    const walk = manifest.contributes?.walkthroughs?.[0];
    assert.ok(walk, 'no walkthrough contributed');
    assert.equal(walk.steps.length, 3);
    for (const step of walk.steps) {
      const media = step.media.image ?? step.media.markdown;
      assert.ok(media, `step ${step.id} has no media`);
      const text = file(media);
      if (step.media.markdown) {
        for (const m of text.toString('utf8').matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)) file(join(media, '..', m[1]));
      }
    }
    // Every command the manifest lists is one the walkthrough or palette can run
    const commands = (manifest.contributes.commands as { command: string }[]).map((c) => c.command);
    for (const c of [
      'mosh.connect',
      'mosh.newTerminal',
      'mosh.reconnect',
      'mosh.manageSessions',
      'mosh.showLog',
      'mosh.gettingStarted',
    ])
      assert.ok(commands.includes(c), `${c} is not contributed`);
  },
);

function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; timeoutMs: number },
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.NODE_PATH;
    delete env.NODE_OPTIONS;
    const child = spawn(cmd, args, { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

test(
  'the bundles run from the unpacked .vsix with no node_modules: the extension loads, the server starts a shell on its pty',
  { timeout: 60_000 },
  async () => {
    const dir = join(tmp, 'unpacked');
    unzipTo(vsix().vsix, dir);
    const ext = join(dir, 'extension');

    // dist/extension.js needs nothing but `vscode` (the host's): give it a stand-in that accepts everything
    const loader = `
    const Module = require('module');
    const stub = new Proxy(function () {}, { get: (_t, k) => (k === '__esModule' ? false : k === 'then' ? undefined : stub), apply: () => stub, construct: () => stub });
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) { return request === 'vscode' ? 'vscode-stub' : resolve.call(this, request, ...rest); };
    require.cache['vscode-stub'] = { id: 'vscode-stub', filename: 'vscode-stub', loaded: true, exports: stub };
    const ext = require(${JSON.stringify(join(ext, 'dist', 'extension.js'))});
    if (typeof ext.activate !== 'function' || typeof ext.deactivate !== 'function') throw new Error('no activate/deactivate exported');
    const kit = require(${JSON.stringify(join(ext, 'dist', 'session.js'))});
    if (typeof kit.createSessionKit !== 'function') throw new Error('session.js exports no createSessionKit');
    const ssh = require(${JSON.stringify(join(ext, 'dist', 'ssh.js'))});
    if (typeof ssh.bootstrap !== 'function') throw new Error('ssh.js exports no bootstrap');
    console.log('extension.js loaded');`;
    const r1 = await run(process.execPath, ['-e', loader], { cwd: dir, timeoutMs: 20_000 });
    assert.equal(r1.code, 0, `dist/extension.js from the .vsix does not load on its own:\n${r1.err}`);

    // dist/server.js starts (and so loads this platform's pty.node from the .vsix), then is stopped
    const r2 = await run(
      process.execPath,
      [join(ext, 'dist', 'server.js'), 'new', '-i', '127.0.0.1', '-p', '0', '--', '/bin/sh'],
      { cwd: dir, timeoutMs: 20_000 },
    );
    assert.equal(r2.code, 0, `dist/server.js from the .vsix did not start:\n${r2.out}\n${r2.err}`);
    assert.match(r2.out, /MOSH CONNECT \d+ \S{22}/);
    const pid = Number(/pid = (\d+)/.exec(r2.err)?.[1]);
    assert.ok(pid > 0, `no daemon pid in: ${r2.err}`);
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    assert.ok(!alive(pid), 'the server did not end on SIGTERM');
  },
);

test(
  'in code-server the .vsix installs, the extension activates without errors and "Mosh: Show Log" shows its log',
  { ...e2eNeeds(), timeout: 15 * 60_000 },
  async (t) => {
    const name = 'e2e-smoke';
    freshArtifactsDir(name);
    const t0 = Date.now();
    const log = (m: string) => t.diagnostic(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
    await ensureCodeServer({ log, timeoutMs: 10 * 60_000 });
    const cs = await startCodeServer({ vsix: vsix().vsix, label: name, log });
    let wb: Awaited<ReturnType<typeof openWorkbench>> | undefined;
    try {
      wb = await openWorkbench(cs.url, { name, log });
      await wb.screenshot('workbench');

      await wb.runCommand('Mosh: Show Log');
      const output = await wb.waitForOutputChannel(/mosh/i).catch(async (e: Error) => {
        await wb?.screenshot('show-log-failed');
        throw new Error(
          `${e.message}; dialog: ${JSON.stringify(await wb?.dialog())}; notifications: ${JSON.stringify(await wb?.notifications())}`,
        );
      });
      log(`Output view: channel "${output.channel}"`);
      await wb.screenshot('show-log');
      const toasts = await wb.notifications();
      assert.ok(
        !toasts.some((n) => /not found|error|failed/i.test(n)),
        `notifications after Show Log: ${JSON.stringify(toasts)}`,
      );

      // The walkthrough: its title and its three steps
      await wb.runCommand('Mosh: Get Started');
      const deadline = Date.now() + 30_000;
      let body = '';
      while (Date.now() < deadline) {
        body = await wb.page
          .locator('.part.editor')
          .innerText()
          .catch(() => '');
        if (/Get Started with Mosh Terminals/.test(body) && /Prepare your host/.test(body)) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.match(
        body,
        /Get Started with Mosh Terminals/,
        `the walkthrough did not open; the editor area shows:\n${body.slice(0, 1000)}`,
      );
      for (const step of ['Prepare your host', 'Connect to a host', 'Read the status bar'])
        assert.match(body, new RegExp(step));
      await wb.page.keyboard.press('Control+J'); // hide the panel: the walkthrough's media shows whole
      await new Promise((r) => setTimeout(r, 1000)); // its media pane renders
      await wb.screenshot('walkthrough');

      const exthost = cs.extensionHostLog();
      assert.match(
        exthost,
        new RegExp(`_doActivateExtension ${EXTENSION_ID.replace('.', '\\.')}\\b`),
        `the extension host never activated ${EXTENSION_ID}:\n${exthost.slice(-4000)}`,
      );
      const errors = exthost
        .split('\n')
        .filter(
          (l) =>
            /\[error\]|Activating extension .* failed/i.test(l) &&
            (l.includes(EXTENSION_ID) || /vscode-mosh|mosh\./i.test(l)),
        );
      assert.deepEqual(errors, [], 'errors about the extension in the extension host log');
      if (wb.blocked.length) log(`blocked non-loopback requests: ${wb.blocked.slice(0, 5).join(' ')}`);
    } catch (e) {
      await wb?.screenshot('failure').catch(() => {});
      throw e;
    } finally {
      await wb?.close();
      await cs.stop();
      log('stopped');
    }
  },
);
