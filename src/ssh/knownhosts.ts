// known_hosts, as OpenSSH reads and writes it: plain entries (comma-separated patterns with `*`, `?` and `!`),
// hashed entries (`|1|salt|HMAC-SHA1`), non-default ports as `[host]:port`, the @revoked marker (@cert-authority
// lines are skipped: host certificates are not supported). Checks a host key (known / unknown / changed /
// revoked), records an accepted one, computes SHA256 fingerprints and words the messages as OpenSSH does.
// Not the decision what to do with an unknown key (connect.ts asks through the Prompter).

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { wildcardMatch } from './config';

export interface KnownHostEntry {
  file: string;
  /** 1-based line number. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** The host field as written (patterns or a hashed name). */
  hosts: string;
  /** The key type from the key blob itself, e.g. "ssh-ed25519", "ssh-rsa". */
  keyType: string;
  key: Buffer;
}

/** The name a host key is recorded under: `host` on port 22, `[host]:port` otherwise, lower-case. */
export function knownHostName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** The key type encoded in an ssh public key blob (its first string). */
export function blobKeyType(blob: Buffer): string {
  if (blob.length < 4) return '';
  const n = blob.readUInt32BE(0);
  return n > 0 && n < 64 && blob.length >= 4 + n ? blob.subarray(4, 4 + n).toString('latin1') : '';
}

/** OpenSSH's short names for key types: ED25519, ECDSA, RSA, DSA. */
export function keyTypeLabel(keyType: string): string {
  if (keyType === 'ssh-ed25519') return 'ED25519';
  if (keyType.startsWith('ecdsa-sha2-')) return 'ECDSA';
  if (keyType === 'ssh-rsa') return 'RSA';
  if (keyType === 'ssh-dss') return 'DSA';
  if (keyType.startsWith('sk-ssh-ed25519')) return 'ED25519-SK';
  if (keyType.startsWith('sk-ecdsa')) return 'ECDSA-SK';
  return keyType.toUpperCase();
}

/** "SHA256:" + unpadded base64 of the SHA-256 of the key blob, as `ssh-keygen -l` prints it. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const fields = lines[i].trim().split(/\s+/);
    if (!fields[0] || fields[0].startsWith('#')) continue;
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue;
    }
    if (fields.length < 3) continue;
    const [hosts, typeField, b64] = fields;
    let key: Buffer;
    try {
      key = Buffer.from(b64, 'base64');
    } catch {
      continue;
    }
    const keyType = blobKeyType(key);
    if (!keyType || (keyType !== typeField && !typeField.startsWith(keyType))) continue; // malformed line
    out.push({ file, line: i + 1, marker, hosts, keyType, key });
  }
  return out;
}

function hashedMatch(field: string, name: string): boolean {
  const parts = field.split('|'); // "", "1", salt, hash
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2], 'base64');
  const want = Buffer.from(parts[3], 'base64');
  const got = createHmac('sha1', salt).update(name).digest();
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Whether a known_hosts host field names `name` ("host" or "[host]:port"). */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|')) return hashedMatch(field, name);
  let matched = false;
  for (const p of field.split(',')) {
    if (!p) continue;
    const neg = p.startsWith('!');
    if (wildcardMatch(neg ? p.slice(1) : p, name)) {
      if (neg) return false;
      matched = true;
    }
  }
  return matched;
}

function readEntries(files: string[]): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    out.push(...parseKnownHosts(text, f));
  }
  return out;
}

export type HostKeyStatus =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'unknown'; otherTypes: string[] }
  | { status: 'changed'; offending: KnownHostEntry[] }
  | { status: 'revoked'; entry: KnownHostEntry };

/** Checks `key` for `name` against the files (user files first, then global ones). */
export function checkHostKey(files: string[], name: string, key: Buffer): HostKeyStatus {
  const type = blobKeyType(key);
  const entries = readEntries(files).filter((e) => e.marker !== 'cert-authority');
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', entry: revoked };
  const forHost = entries.filter((e) => !e.marker && hostFieldMatches(e.hosts, name));
  const same = forHost.find((e) => e.key.equals(key));
  if (same) return { status: 'known', entry: same };
  const offending = forHost.filter((e) => e.keyType === type);
  if (offending.length) return { status: 'changed', offending };
  return { status: 'unknown', otherTypes: [...new Set(forHost.map((e) => e.keyType))] };
}

/** Key types recorded for this host, in file order: the handshake prefers them, as OpenSSH does. */
export function knownKeyTypes(files: string[], name: string): string[] {
  return [
    ...new Set(
      readEntries(files)
        .filter((e) => !e.marker && hostFieldMatches(e.hosts, name))
        .map((e) => e.keyType),
    ),
  ];
}

/** A known_hosts line for `name`, hashed (`|1|salt|hmac`) or plain. */
export function knownHostsLine(name: string, key: Buffer, hash: boolean): string {
  let field = name;
  if (hash) {
    const salt = randomBytes(20);
    field = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
  }
  return `${field} ${blobKeyType(key)} ${key.toString('base64')}`;
}

/** Appends the key for `name` to `file`, creating the file (and its folder, mode 700) if needed. */
export function addKnownHost(file: string, name: string, key: Buffer, hash: boolean): void {
  const dir = dirname(file);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const cur = readFileSync(file);
    if (cur.length && cur[cur.length - 1] !== 0x0a) prefix = '\n';
  } catch {
    /* new file */
  }
  appendFileSync(file, `${prefix}${knownHostsLine(name, key, hash)}\n`, { mode: 0o600 });
}

/** The question OpenSSH asks for an unknown host key. */
export function unknownHostMessage(name: string, key: Buffer, otherTypes: string[]): string {
  const label = keyTypeLabel(blobKeyType(key));
  const lines = [
    `The authenticity of host '${name}' can't be established.`,
    `${label} key fingerprint is ${fingerprint(key)}.`,
  ];
  if (otherTypes.length) {
    lines.push(
      `Keys of other types (${otherTypes.map(keyTypeLabel).join(', ')}) are already known for this host; the server now offers ${label}.`,
    );
  } else {
    lines.push('This key is not known by any other names.');
  }
  lines.push('Are you sure you want to continue connecting (yes/no)?');
  return lines.join('\n');
}

/** OpenSSH's warning for a changed host key, then why the connection is refused. */
export function changedHostMessage(name: string, key: Buffer, offending: KnownHostEntry[], addTo: string): string {
  const label = keyTypeLabel(blobKeyType(key));
  const bar = '@'.repeat(59);
  return [
    bar,
    '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @',
    bar,
    'IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!',
    'Someone could be eavesdropping on you right now (man-in-the-middle attack)!',
    'It is also possible that a host key has just been changed.',
    `The fingerprint for the ${label} key sent by the remote host is`,
    `${fingerprint(key)}.`,
    'Please contact your system administrator.',
    `Add correct host key in ${addTo} to get rid of this message.`,
    ...offending.map((e) => `Offending ${keyTypeLabel(e.keyType)} key in ${e.file}:${e.line}`),
    `  (to remove it: ssh-keygen -f "${offending[0]?.file ?? addTo}" -R "${name}")`,
    `Host key for ${name} has changed and you have requested strict checking.`,
    'Host key verification failed.',
  ].join('\n');
}

export function revokedHostMessage(name: string, key: Buffer, entry: KnownHostEntry): string {
  return [
    bar59(),
    '@       WARNING: REVOKED HOST KEY DETECTED!               @',
    bar59(),
    `The ${keyTypeLabel(blobKeyType(key))} host key for ${name} is marked as revoked (${entry.file}:${entry.line}).`,
    'This could mean that a stolen key is being used to impersonate this host.',
    'Host key verification failed.',
  ].join('\n');
}

function bar59(): string {
  return '@'.repeat(59);
}

/** Host key algorithms for the handshake: the types already known for the host first (OpenSSH does the same). */
export function preferredHostKeyAlgorithms(knownTypes: string[]): string[] {
  const all = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ];
  const first: string[] = [];
  for (const t of knownTypes) {
    if (t === 'ssh-rsa') first.push('rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa');
    else if (all.includes(t)) first.push(t);
  }
  return [...new Set([...first, ...all])];
}
