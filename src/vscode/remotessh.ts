// Which host a VS Code Remote-SSH window is connected to, read from its workspace folder URIs
// (`vscode-remote://ssh-remote+<host>/path`), and the folder a mosh panel there starts in. Pure: takes the values
// of vscode.env.remoteName and vscode.workspace.workspaceFolders, imports vscode only as types.
//
// How Remote-SSH writes the host after `ssh-remote+` (the remote name is everything before the first `+`, so the
// rest may itself contain `+`):
//   - an ssh config alias or a host name as is: `ssh-remote+devbox`, `ssh-remote+my+box`;
//   - what a user typed on the command line, as is: `ssh-remote+user@host`, `ssh-remote+host:2222`;
//   - `user@host:port` picked in its UI (and names whose case must survive, since URI authorities may be
//     lower-cased) as hex of a JSON object: `ssh-remote+7b22686f73744e616d65223a22...7d` for
//     {"hostName":"host","user":"me","port":2222};
//   - some compatible extensions escape upper-case letters as `\xNN` instead.
// Not a check that the host is reachable or valid: the ssh layer does that when connecting.
import { formatTarget } from './target';

export const REMOTE_SSH_NAME = 'ssh-remote';

export interface RemoteSshHost {
  /** What to connect to, in the form the ssh layer reads: an alias, or `[user@]host[:port]`. */
  target: string;
  hostName: string;
  user?: string;
  port?: number;
}

interface EncodedHost {
  hostName?: unknown;
  user?: unknown;
  port?: unknown;
}

function decodeHexJson(text: string): RemoteSshHost | null {
  if (text.length < 4 || text.length % 2 !== 0 || !/^[0-9a-f]+$/i.test(text)) return null;
  let data: EncodedHost;
  try {
    data = JSON.parse(Buffer.from(text, 'hex').toString('utf8')) as EncodedHost;
  } catch {
    return null;
  }
  if (!data || typeof data !== 'object' || typeof data.hostName !== 'string' || !data.hostName) return null;
  const user = typeof data.user === 'string' && data.user ? data.user : undefined;
  const portNumber =
    typeof data.port === 'number'
      ? data.port
      : typeof data.port === 'string' && /^\d+$/.test(data.port)
        ? Number(data.port)
        : undefined;
  const port = portNumber !== undefined && portNumber >= 1 && portNumber <= 65535 ? portNumber : undefined;
  return { target: formatTarget({ user, host: data.hostName, port }), hostName: data.hostName, user, port };
}

/** The host of a `ssh-remote+...` authority, or null when it is not a Remote-SSH authority (or names no host). */
export function parseRemoteSshAuthority(authority: string): RemoteSshHost | null {
  let a = authority;
  if (/%[0-9a-f]{2}/i.test(a)) {
    try {
      a = decodeURIComponent(a);
    } catch {
      return null;
    }
  }
  const plus = a.indexOf('+');
  if (plus < 0 || a.slice(0, plus).toLowerCase() !== REMOTE_SSH_NAME) return null;
  const rest = a.slice(plus + 1);
  if (!rest) return null;
  const encoded = decodeHexJson(rest);
  if (encoded) return encoded;
  const plain = rest.replace(/\\x([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  if (/[\s/]/.test(plain) || [...plain].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return null;
  const at = plain.lastIndexOf('@');
  const user = at > 0 ? plain.slice(0, at) : undefined;
  const hostPort = at >= 0 ? plain.slice(at + 1) : plain;
  const m = /^(.*?)(?::(\d+))?$/.exec(hostPort)!;
  const single = (hostPort.match(/:/g)?.length ?? 0) <= 1;
  const hostName = single ? m[1] : hostPort;
  const port = single && m[2] ? Number(m[2]) : undefined;
  if (!hostName) return null;
  return { target: plain, hostName, user, port };
}

/** The parts of vscode.Uri and vscode.WorkspaceFolder read here. */
export interface FolderLike {
  uri: { scheme: string; authority: string; path: string };
}

export interface RemoteSshWindow {
  host: RemoteSshHost;
  /** The remote folder a new panel starts in: the workspace folder (the active editor's, when given). */
  cwd?: string;
}

/**
 * The Remote-SSH host and folder of this window, or null outside Remote-SSH windows (local, WSL, containers,
 * code-server...) and in a Remote-SSH window with no folder open (the host is then unknown to extensions).
 */
export function remoteSshWindow(
  remoteName: string | undefined,
  folders: readonly FolderLike[] | undefined,
  activeFolder?: FolderLike,
): RemoteSshWindow | null {
  if (remoteName !== REMOTE_SSH_NAME) return null;
  const remote = (folders ?? []).filter(
    (f) => f.uri.scheme === 'vscode-remote' && parseRemoteSshAuthority(f.uri.authority),
  );
  const folder =
    activeFolder &&
    remote.some((f) => f.uri.authority === activeFolder.uri.authority && f.uri.path === activeFolder.uri.path)
      ? activeFolder
      : remote[0];
  if (!folder) return null;
  const host = parseRemoteSshAuthority(folder.uri.authority)!;
  return { host, cwd: folder.uri.path || undefined };
}
