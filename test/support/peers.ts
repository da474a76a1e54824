// Detects the system peers tests need (stock mosh, sshd, tmux, ...). Without one a test is skipped with the
// reason printed; with MOSH_TEST_REQUIRE_ALL=1 (CI) a missing peer is a failing test instead.
import { test } from 'node:test';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export function which(bin: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin'])) {
    const p = join(dir, bin);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

const PACKAGE_OF: Record<string, string> = {
  'mosh-server': 'mosh',
  'mosh-client': 'mosh',
  sshd: 'openssh-server',
  ssh: 'openssh-client',
  'ssh-keygen': 'openssh-client',
  'ssh-agent': 'openssh-client',
  'ssh-add': 'openssh-client',
  mosh: 'mosh',
  tmux: 'tmux',
  ip: 'iproute2',
  chromium: 'chromium',
  rg: 'ripgrep',
  'krb5-config': 'libkrb5-dev',
};

/** Test options for a test that needs these executables: `test(name, needs('mosh-server'), fn)`. */
export function needs(...bins: string[]): { skip?: string } {
  const missing = bins.filter((b) => !which(b));
  if (missing.length === 0) return {};
  const pkgs = [...new Set(missing.map((b) => PACKAGE_OF[b] ?? b))];
  const reason = `needs ${missing.join(', ')} (Debian package${pkgs.length > 1 ? 's' : ''} ${pkgs.join(', ')}; .ci/run installs them)`;
  if (process.env.MOSH_TEST_REQUIRE_ALL === '1') {
    test(`required peer is installed: ${missing.join(', ')}`, () => {
      throw new Error(`MOSH_TEST_REQUIRE_ALL=1 but this machine lacks: ${reason}`);
    });
  }
  return { skip: reason };
}
