// Public surface of src/client/: MoshClient, which composes transport, statesync, emulator and predict into
// one session (input bytes in, screen updates out), and the agent forwarding it relays. What the two front ends
// (src/vscode/, src/cli/) use; they import this file, not the modules behind it.
export * from './agentrelay';
export * from './channels';
export * from './clientapi';
export * from './forwarding';
export * from './moshclient';
export * from './scrollback';
// What the front ends need from the layers below, so that they depend on client/ alone (and ssh/).
export { BAR_TEXT, type DisplayPreference, escapeKeyName } from '../predict';
export { KeyError, parseKey } from '../transport';
export { MAX_HISTORY_LINES, type ServerHelloInfo } from '../statesync';
