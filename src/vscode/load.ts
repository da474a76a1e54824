// Loads the heavy parts of the extension on first use, so that activating it in a window with nothing to bring back
// stays cheap: the session code (sessionkit.ts: panels, MoshClient, xterm) and, only for new connections, the ssh
// code (sshkit.ts: ssh2, the ssh config, the bootstrap). esbuild.mjs bundles them as dist/session.js and
// dist/ssh.js and leaves these requires pointing at them; under tsc they are the compiled modules.
import type * as SessionKitModule from './sessionkit';
import type * as SshKitModule from './sshkit';

let session: typeof SessionKitModule | undefined;
let ssh: typeof SshKitModule | undefined;

export function sessionCode(): typeof SessionKitModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  session ??= require('./sessionkit') as typeof SessionKitModule;
  return session;
}

export function sshCode(): typeof SshKitModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ssh ??= require('./sshkit') as typeof SshKitModule;
  return ssh;
}
