// The errors of the ssh bootstrap: one class with a machine-readable code and a message written for the user
// (what happened and what to do). Front ends show `message` as it is. Never carries passwords or keys.

export type BootstrapErrorCode =
  /** The target or an ssh_config file could not be understood. */
  | 'config'
  /** DNS failure, connection refused, no route. */
  | 'unreachable'
  /** A step took too long: TCP connect, the ssh handshake, the remote login, the server start, the upload, or
   * the connection stopped answering keepalives. */
  | 'timeout'
  /** The server refused every authentication method we could try. */
  | 'auth'
  /** The host key differs from the one recorded in known_hosts, or is revoked. */
  | 'hostkey-changed'
  /** The host key is not known and the user (or StrictHostKeyChecking) refused it. */
  | 'hostkey-refused'
  /** Neither a usable Node.js nor mosh-server on the remote host (or not the one asked for). */
  | 'no-server'
  /** Uploading the server failed. */
  | 'deploy'
  /** The server ran but did not print MOSH CONNECT. */
  | 'launch'
  /** The ssh connection broke in the middle. */
  | 'ssh'
  /** The front end cancelled the bootstrap (BootstrapOptions.signal); everything it opened was closed. */
  | 'cancelled';

export class BootstrapError extends Error {
  constructor(
    readonly code: BootstrapErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BootstrapError';
  }
}
