// Packages the extension the way a release is made (`npm run package`, i.e. vsce with the prepublish step
// that builds the bundles and fetches the pty binaries of every platform) into a file of the caller's choice.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { REPO_ROOT, type Log } from './codeserver';

export interface Packaged {
  vsix: string;
  bytes: number;
  ms: number;
  /** What npm/vsce printed. */
  output: string;
}

/** Runs `npm run package -- --out <out>` in the repository; rejects with vsce's output if it fails. */
export function packageExtension(out: string, opts: { timeoutMs?: number; log?: Log } = {}): Promise<Packaged> {
  const t0 = Date.now();
  const timeoutMs = opts.timeoutMs ?? 180_000;
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
    delete env.NODE_TEST_CONTEXT; // not a child test runner
    const child = spawn('npm', ['run', '-s', 'package', '--', '--out', out], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      try {
        process.kill(-child.pid!, 'SIGKILL'); // anything left in its group
      } catch {
        /* gone */
      }
      if (code !== 0)
        return reject(
          new Error(
            `npm run package failed (${signal ?? code}${signal === 'SIGKILL' ? `, ${timeoutMs} ms limit` : ''}):\n${output}`,
          ),
        );
      const ms = Date.now() - t0;
      const bytes = statSync(out).size;
      opts.log?.(`packaged ${out}: ${(bytes / 1024).toFixed(0)} KiB in ${ms} ms`);
      resolve({ vsix: out, bytes, ms, output });
    });
  });
}

/**
 * Packages the extension once for the calling test file (a before hook) into a temporary folder removed after
 * it. Returns a getter that throws the packaging error, if there was one, in the test that needs the .vsix.
 */
export function packagedForThisFile(name: string): () => Packaged {
  let tmp = '';
  let packaged: Packaged | undefined;
  let error: unknown;
  before(
    async () => {
      tmp = mkdtempSync(join(tmpdir(), `mosh-e2e-${name}-`));
      try {
        packaged = await packageExtension(join(tmp, 'vscode-mosh.vsix'), { timeoutMs: 240_000 });
      } catch (e) {
        error = e;
      }
    },
    { timeout: 300_000 },
  );
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });
  return () => {
    if (!packaged) throw error instanceof Error ? error : new Error(`packaging failed: ${String(error)}`);
    return packaged;
  };
}
