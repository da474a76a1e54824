// The ssh side of the extension, loaded only when it is needed (esbuild makes it dist/ssh.js): a new connection's
// bootstrap, the host picker (ssh config), and Manage Remote Sessions. A window that only brings back its saved
// panels never loads it: resuming a session is UDP only. Re-exports; no logic of its own.
export { bootstrap } from './bootstrap';
export { openSshConfig, pickHost, rememberHost } from './hosts';
export { manageRemoteSessions } from './sessions';
export { pageantStream } from '../ssh';
