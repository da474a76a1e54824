// Which host a Remote-SSH window is on, read from its workspace folder URIs as Remote-SSH writes them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRemoteSshAuthority, remoteSshWindow, type FolderLike } from '../../src/vscode/remotessh';

const folder = (authority: string, path = '/home/alice/project'): FolderLike => ({
  uri: { scheme: 'vscode-remote', authority, path },
});

test('a plain ssh config alias is the target as is, also one containing "+"', () => {
  assert.deepEqual(parseRemoteSshAuthority('ssh-remote+devbox'), {
    target: 'devbox',
    hostName: 'devbox',
    user: undefined,
    port: undefined,
  });
  assert.equal(
    parseRemoteSshAuthority('ssh-remote+my+box')?.target,
    'my+box',
    'only the first "+" separates the remote name',
  );
  assert.equal(parseRemoteSshAuthority('ssh-remote+build.example.com')?.hostName, 'build.example.com');
});

test('user@host:port typed on the command line is read as the ssh layer reads a target', () => {
  assert.deepEqual(parseRemoteSshAuthority('ssh-remote+alice@devbox:2222'), {
    target: 'alice@devbox:2222',
    hostName: 'devbox',
    user: 'alice',
    port: 2222,
  });
  assert.deepEqual(parseRemoteSshAuthority('ssh-remote+devbox:2200'), {
    target: 'devbox:2200',
    hostName: 'devbox',
    user: undefined,
    port: 2200,
  });
});

test('the hex-encoded JSON that Remote-SSH writes for user@host:port becomes [user@]host[:port]', () => {
  // {"hostName":"devbox.example.com","user":"alice","port":2222}
  const hex =
    '7b22686f73744e616d65223a22646576626f782e6578616d706c652e636f6d222c2275736572223a22616c696365222c22706f7274223a323232327d';
  assert.deepEqual(parseRemoteSshAuthority(`ssh-remote+${hex}`), {
    target: 'alice@devbox.example.com:2222',
    hostName: 'devbox.example.com',
    user: 'alice',
    port: 2222,
  });
  // {"hostName":"MyBox"}: the case of the alias survives the encoding
  assert.equal(parseRemoteSshAuthority('ssh-remote+7b22686f73744e616d65223a224d79426f78227d')?.target, 'MyBox');
  // {"hostName":"fe80::1","port":22}: an IPv6 address with a port is bracketed
  assert.equal(
    parseRemoteSshAuthority('ssh-remote+7b22686f73744e616d65223a22666538303a3a31222c22706f7274223a32327d')?.target,
    '[fe80::1]:22',
  );
  // Upper-case hex digits decode the same
  assert.equal(parseRemoteSshAuthority('ssh-remote+7B22686F73744E616D65223A224D79426F78227D')?.target, 'MyBox');
});

test('an alias that merely looks like hex is not decoded', () => {
  assert.equal(parseRemoteSshAuthority('ssh-remote+cafe')?.target, 'cafe');
  assert.equal(parseRemoteSshAuthority('ssh-remote+deadbeef')?.target, 'deadbeef');
  // valid hex of JSON without a hostName is not a Remote-SSH encoding either
  const noHost = Buffer.from('{"user":"x"}').toString('hex');
  assert.equal(parseRemoteSshAuthority(`ssh-remote+${noHost}`)?.target, noHost);
});

test('escaped upper-case letters (\\xNN) and a percent-encoded authority are decoded', () => {
  assert.equal(parseRemoteSshAuthority('ssh-remote+arm64-\\x45luer')?.target, 'arm64-Eluer');
  assert.equal(parseRemoteSshAuthority('ssh-remote%2Bdevbox')?.target, 'devbox');
});

test('other remotes and empty or unsafe hosts are not Remote-SSH hosts', () => {
  assert.equal(parseRemoteSshAuthority('wsl+Ubuntu'), null);
  assert.equal(parseRemoteSshAuthority('dev-container+abc'), null);
  assert.equal(parseRemoteSshAuthority('ssh-remote+'), null);
  assert.equal(parseRemoteSshAuthority('ssh-remote'), null);
  assert.equal(parseRemoteSshAuthority('ssh-remote+bad host'), null);
  assert.equal(parseRemoteSshAuthority('ssh-remote+bad\\x0ahost'), null);
  assert.equal(parseRemoteSshAuthority('ssh-remote+%E0%A4%A'), null, 'a malformed escape');
});

test('a Remote-SSH window gives its host and workspace folder; other windows give nothing', () => {
  const w = remoteSshWindow('ssh-remote', [folder('ssh-remote+devbox', '/srv/app')]);
  assert.deepEqual(w, {
    host: { target: 'devbox', hostName: 'devbox', user: undefined, port: undefined },
    cwd: '/srv/app',
  });
  assert.equal(remoteSshWindow(undefined, [folder('ssh-remote+devbox')]), null, 'a local window');
  assert.equal(remoteSshWindow('wsl', [folder('wsl+Ubuntu')]), null);
  assert.equal(remoteSshWindow('ssh-remote', []), null, 'no folder open: the host is unknown');
  assert.equal(remoteSshWindow('ssh-remote', undefined), null);
  assert.equal(remoteSshWindow('ssh-remote', [{ uri: { scheme: 'file', authority: '', path: '/tmp' } }]), null);
});

test("in a multi-root Remote-SSH window the active editor's folder is where a panel starts", () => {
  const a = folder('ssh-remote+devbox', '/srv/a');
  const b = folder('ssh-remote+devbox', '/srv/b');
  assert.equal(remoteSshWindow('ssh-remote', [a, b])?.cwd, '/srv/a');
  assert.equal(remoteSshWindow('ssh-remote', [a, b], b)?.cwd, '/srv/b');
  assert.equal(
    remoteSshWindow('ssh-remote', [a, b], folder('ssh-remote+other', '/x'))?.cwd,
    '/srv/a',
    'a folder not in the workspace is ignored',
  );
});
