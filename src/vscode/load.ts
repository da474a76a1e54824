// Loads the session code (sessionkit.ts and all it imports: panels, MoshClient, the ssh bootstrap, ssh2, xterm) on
// first use, so that activating the extension in a window with nothing to bring back stays cheap. esbuild.mjs
// bundles it as dist/session.js and leaves this require pointing at it; under tsc it is the compiled module.
import type * as SessionKitModule from './sessionkit';

let loaded: typeof SessionKitModule | undefined;

export function sessionCode(): typeof SessionKitModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('./sessionkit') as typeof SessionKitModule;
  return loaded;
}
