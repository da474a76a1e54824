// Public surface of src/ssh/: the ssh bootstrap over ssh2 (ssh_config, known_hosts, authentication, server
// deployment and launch, "MOSH CONNECT"), the host list and name checks, remote session listing, agent
// forwarding's ssh side. Used by the front ends only; they import this file, not the modules behind it.
export * from './agentforward';
export * from './auth';
export * from './bootstrap';
export * from './config';
export * from './connect';
export * from './deploy';
export * from './errors';
export * from './exec';
export * from './hostlist';
export * from './knownhosts';
export * from './launch';
export * from './names';
export * from './prompt';
export * from './remote';
export * from './remotetext';
export * from './sessions';
export * from './shellquote';
export * from './timeouts';
export * from './verify';
