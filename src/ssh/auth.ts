// User authentication for ssh2 in OpenSSH's order: "none" (to learn what the server accepts), then publickey —
// keys from the ssh agent (SSH_AUTH_SOCK or IdentityAgent; on Windows also the OpenSSH agent pipe and Pageant),
// then identity files not already in the agent — then keyboard-interactive, then password (the order of
// PreferredAuthentications, whose default is OpenSSH's). Identity files are offered by their public key first,
// so a passphrase is asked only for a key the server would accept. Every question goes through the Prompter.
// When everything fails, the error says which methods were tried and what the server accepts.
// Not the connection or host keys (connect.ts). Never logs a password, passphrase or key.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import {
  BaseAgent,
  createAgent,
  utils,
  type AuthenticationType,
  type AuthHandlerMiddleware,
  type KeyboardInteractiveCallback,
  type NextAuthHandler,
  type ParsedKey,
  type Prompt,
} from 'ssh2';
import type { ResolvedHost } from './config';
import { BootstrapError } from './errors';
import type { Prompter } from './prompt';
import { cleanRemoteText } from './remotetext';

type SignCallback = (err?: Error | null, signature?: Buffer) => void;
type SignOptions = { hash?: 'sha256' | 'sha512' | 'sha1' };

const tildify = (p: string) => {
  const h = homedir();
  return h && p.startsWith(h + '/') ? '~' + p.slice(h.length) : p;
};

/** The public key blob of an `openssh-key-v1` private key file, readable without its passphrase. */
export function opensshPublicBlob(text: string): Buffer | null {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (!m) return null;
  const buf = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
  const magic = 'openssh-key-v1\0';
  if (buf.subarray(0, magic.length).toString('latin1') !== magic) return null;
  let off = magic.length;
  const str = () => {
    if (off + 4 > buf.length) throw new Error('short');
    const n = buf.readUInt32BE(off);
    const s = buf.subarray(off + 4, off + 4 + n);
    off += 4 + n;
    return s;
  };
  try {
    str(); // cipher
    str(); // kdf
    str(); // kdf options
    const count = buf.readUInt32BE(off);
    off += 4;
    return count >= 1 ? Buffer.from(str()) : null;
  } catch {
    return null;
  }
}

function parsePublic(data: Buffer | string): ParsedKey | null {
  const k = utils.parseKey(data);
  if (k instanceof Error) return null;
  return Array.isArray(k) ? (k[0] ?? null) : k;
}

interface Identity {
  path: string;
  /** Public key, when known without the passphrase. */
  pub: ParsedKey | null;
  /** The decrypted private key, once known. */
  priv: ParsedKey | null;
  encrypted: boolean;
  /** The user gave up on this key (cancelled or no more attempts). */
  skipped: boolean;
}

/**
 * Agent keys from one or several agents (the first that answers each key signs with it), optionally limited to
 * some public keys (IdentitiesOnly). An agent that cannot be reached simply contributes no keys.
 */
export class AgentKeys extends BaseAgent {
  keys: ParsedKey[] = [];
  errors: string[] = [];
  private owner = new Map<string, BaseAgent>();

  constructor(
    private readonly agents: BaseAgent[],
    private readonly only: Buffer[] | null,
  ) {
    super();
  }

  getIdentities(cb: (err: Error | undefined, keys?: ParsedKey[]) => void): void {
    let pending = this.agents.length;
    const results: ParsedKey[][] = this.agents.map(() => []);
    const done = () => {
      const seen = new Set<string>();
      for (const list of results) {
        for (const k of list) {
          const blob = k.getPublicSSH().toString('base64');
          if (seen.has(blob)) continue;
          if (this.only && !this.only.some((b) => b.toString('base64') === blob)) continue;
          seen.add(blob);
          this.keys.push(k);
        }
      }
      cb(undefined, this.keys);
    };
    if (!pending) return done();
    this.agents.forEach((agent, i) => {
      let finished = false;
      const timer = setTimeout(() => finish(new Error('the agent did not answer within 5 s')), 5000);
      const finish = (err: Error | null | undefined, keys?: (ParsedKey | Buffer | string)[]) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        if (err) this.errors.push(err.message);
        for (const raw of keys ?? []) {
          const k = parsePublic(raw as Buffer);
          if (!k) continue;
          results[i].push(k);
          const blob = k.getPublicSSH().toString('base64');
          if (!this.owner.has(blob)) this.owner.set(blob, agent);
        }
        if (--pending === 0) done();
      };
      try {
        agent.getIdentities((err, keys) => finish(err, keys as (ParsedKey | Buffer | string)[]));
      } catch (e) {
        finish(e as Error);
      }
    });
  }

  sign(pubKey: ParsedKey, data: Buffer, options: SignOptions | SignCallback, cb?: SignCallback): void {
    const callback = (typeof options === 'function' ? options : cb)!;
    const opts = typeof options === 'function' ? {} : options;
    const agent = this.owner.get(pubKey.getPublicSSH().toString('base64'));
    if (!agent) return callback(new Error('no agent holds this key'));
    agent.sign(pubKey, data, opts, callback);
  }
}

/**
 * Identity files seen as an agent, so ssh2 offers each public key first and signs only after the server said yes:
 * the passphrase of an encrypted key is asked at that moment (and remembered for the rest of the connection).
 */
export class IdentityFileKeys extends BaseAgent {
  readonly identities: Identity[];
  /** Identity paths actually offered to the server. */
  offered: string[] = [];
  /** Identity paths whose passphrase was refused by the user or wrong too often. */
  failedPassphrase: string[] = [];

  constructor(
    paths: string[],
    private readonly prompter: Prompter,
    private readonly attempts: number,
    private readonly exclude: () => Buffer[],
    private readonly interactive: boolean,
  ) {
    super();
    this.identities = paths.map((p) => loadIdentity(p));
  }

  getIdentities(cb: (err: Error | undefined, keys?: ParsedKey[]) => void): void {
    void (async () => {
      const excluded = new Set(this.exclude().map((b) => b.toString('base64')));
      const keys: ParsedKey[] = [];
      for (const id of this.identities) {
        if (!id.pub && id.encrypted && this.interactive) await this.unlock(id); // no public half: needs the passphrase now
        const pub = id.pub ?? (id.priv ? parsePublic(id.priv.getPublicSSH()) : null);
        if (!pub || excluded.has(pub.getPublicSSH().toString('base64'))) continue;
        id.pub = pub;
        keys.push(pub);
      }
      cb(undefined, keys);
    })();
  }

  sign(pubKey: ParsedKey, data: Buffer, options: SignOptions | SignCallback, cb?: SignCallback): void {
    const callback = (typeof options === 'function' ? options : cb)!;
    const opts = typeof options === 'function' ? {} : options;
    const blob = pubKey.getPublicSSH();
    const id = this.identities.find((i) => i.pub?.getPublicSSH().equals(blob));
    if (!id) return callback(new Error('unknown identity'));
    void (async () => {
      if (!this.offered.includes(id.path)) this.offered.push(id.path);
      if (!id.priv && this.interactive) await this.unlock(id);
      if (!id.priv) return callback(new Error(`no passphrase for ${tildify(id.path)}`));
      const sig = id.priv.sign(data, opts.hash);
      if (sig instanceof Error) return callback(sig);
      callback(null, sig);
    })();
  }

  /** Asks for the passphrase until it decrypts the key, the user cancels or the attempts run out. */
  private async unlock(id: Identity): Promise<void> {
    if (id.priv || id.skipped) return;
    let text: string;
    try {
      text = readFileSync(id.path, 'utf8');
    } catch {
      id.skipped = true;
      return;
    }
    for (let i = 0; i < Math.max(1, this.attempts); i++) {
      const pass = await this.prompter.ask({
        kind: 'passphrase',
        message: `Enter passphrase for key '${tildify(id.path)}': `,
        echo: false,
        retry: i > 0,
      });
      if (!pass) break; // cancelled or empty: OpenSSH skips the key
      const k = utils.parseKey(text, pass);
      if (!(k instanceof Error)) {
        id.priv = Array.isArray(k) ? k[0] : k;
        return;
      }
    }
    id.skipped = true;
    this.failedPassphrase.push(id.path);
  }
}

function loadIdentity(path: string): Identity {
  const id: Identity = { path, pub: null, priv: null, encrypted: false, skipped: false };
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    id.skipped = true;
    return id;
  }
  try {
    id.pub = parsePublic(readFileSync(`${path}.pub`));
  } catch {
    /* no .pub beside it */
  }
  const k = utils.parseKey(text);
  if (k instanceof Error) {
    id.encrypted = /passphrase|encrypted/i.test(k.message);
    if (!id.pub) {
      const blob = opensshPublicBlob(text);
      if (blob) id.pub = parsePublic(Buffer.from(`${blobType(blob)} ${blob.toString('base64')}`));
    }
    if (!id.encrypted && !id.pub) id.skipped = true; // not a key we can read
  } else {
    const priv: ParsedKey = Array.isArray(k) ? k[0] : k;
    id.priv = priv;
    if (!id.pub) id.pub = parsePublic(priv.getPublicSSH());
  }
  return id;
}

function blobType(blob: Buffer): string {
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString('latin1');
}

/** The agents to ask: IdentityAgent if set, else SSH_AUTH_SOCK; on Windows also the OpenSSH pipe and Pageant. */
export function defaultAgents(
  identityAgent: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  platform = process.platform,
): string[] {
  if (identityAgent) return identityAgent.toLowerCase() === 'none' ? [] : [identityAgent];
  const out: string[] = [];
  if (env.SSH_AUTH_SOCK) out.push(env.SSH_AUTH_SOCK);
  if (platform === 'win32') out.push('\\\\.\\pipe\\openssh-ssh-agent', 'pageant');
  return out;
}

export interface AuthOptions {
  /** Agents to use instead of the configured ones (tests); [] for none. */
  agents?: BaseAgent[];
}

type Stage = 'agent' | 'identities' | 'keyboard-interactive' | 'password';

/**
 * Drives ssh2's authHandler. Use `handler` as the ssh2 `authHandler`, then `failure()` for the error to show when
 * ssh2 reports that every method failed.
 */
export class Authenticator {
  readonly tried: string[] = [];
  /** What the server said it accepts (from its last failure reply). */
  serverMethods: string[] = [];
  private stages: Stage[];
  private agentKeys: AgentKeys | null = null;
  private idKeys: IdentityFileKeys | null = null;
  private passwordTries = 0;
  private kbdTries = 0;
  private kbdCancelled = false;
  private passwordCancelled = false;
  private kbdAnswered = false;
  /** The keyboard-interactive questions were a password prompt (PAM's "Password: "). */
  private kbdPassword = false;
  private started = false;

  constructor(
    private readonly host: ResolvedHost,
    private readonly prompter: Prompter,
    private readonly opts: AuthOptions = {},
  ) {
    const stages: Stage[] = [];
    for (const m of host.preferredAuthentications) {
      if (m === 'publickey' && host.pubkeyAuthentication) stages.push('agent', 'identities');
      else if (m === 'keyboard-interactive' && host.kbdInteractiveAuthentication) stages.push('keyboard-interactive');
      else if (m === 'password' && host.passwordAuthentication) stages.push('password');
    }
    this.stages = stages;
  }

  readonly handler: AuthHandlerMiddleware = (methodsLeft, _partial, next) => {
    void this.next(methodsLeft as AuthenticationType[] | null, next);
  };

  private get interactive(): boolean {
    return !this.host.batchMode;
  }

  private async next(methodsLeft: AuthenticationType[] | null, next: NextAuthHandler): Promise<void> {
    const user = this.host.user;
    if (!this.started) {
      this.started = true;
      return next({ type: 'none', username: user });
    }
    if (methodsLeft) this.serverMethods = [...methodsLeft];
    const allowed = (m: string) => !methodsLeft || methodsLeft.includes(m as AuthenticationType);
    while (this.stages.length) {
      const stage = this.stages[0];
      if (stage === 'agent') {
        this.stages.shift();
        if (!allowed('publickey')) continue;
        const agents = this.opts.agents ?? defaultAgents(this.host.identityAgent).map((a) => createAgent(a));
        if (!agents.length) continue;
        const only = this.host.identitiesOnly ? this.identityBlobs() : null;
        this.agentKeys = new AgentKeys(agents, only);
        this.tried.push('agent');
        return next({ type: 'agent', username: user, agent: this.agentKeys });
      }
      if (stage === 'identities') {
        this.stages.shift();
        if (!allowed('publickey') || !this.host.identityFiles.length) continue;
        this.idKeys = new IdentityFileKeys(
          this.host.identityFiles,
          this.prompter,
          this.host.numberOfPasswordPrompts,
          () => (this.agentKeys ? this.agentKeys.keys.map((k) => k.getPublicSSH()) : []),
          this.interactive,
        );
        this.tried.push('identity files');
        return next({ type: 'agent', username: user, agent: this.idKeys });
      }
      if (stage === 'keyboard-interactive') {
        if (
          !allowed('keyboard-interactive') ||
          !this.interactive ||
          this.kbdCancelled ||
          this.kbdTries >= Math.max(1, this.host.numberOfPasswordPrompts)
        ) {
          this.stages.shift();
          continue;
        }
        this.kbdTries++;
        if (this.kbdTries === 1) this.tried.push('keyboard-interactive');
        return next({
          type: 'keyboard-interactive',
          username: user,
          prompt: (name, instr, _lang, prompts, finish) => void this.answer(name, instr, prompts, finish),
        });
      }
      // password
      if (
        !allowed('password') ||
        !this.interactive ||
        this.passwordCancelled ||
        this.passwordTries >= this.host.numberOfPasswordPrompts
      ) {
        this.stages.shift();
        continue;
      }
      const pw = await this.prompter.ask({
        kind: 'password',
        message: `${user}@${this.host.hostname}'s password: `,
        echo: false,
        retry: this.passwordTries > 0,
      });
      if (pw === undefined) {
        this.passwordCancelled = true;
        this.stages.shift();
        continue;
      }
      this.passwordTries++;
      if (this.passwordTries === 1) this.tried.push('password');
      return next({ type: 'password', username: user, password: pw });
    }
    next(false as unknown as AuthenticationType);
  }

  private async answer(
    name: string,
    instructions: string,
    prompts: Prompt[],
    finish: KeyboardInteractiveCallback,
  ): Promise<void> {
    const answers: string[] = [];
    for (const p of prompts) {
      // the server's words, shown outside any terminal emulator: without control characters (as OpenSSH does)
      const a = await this.prompter.ask({
        kind: 'keyboard-interactive',
        message: cleanRemoteText(p.prompt),
        echo: !!p.echo,
        title: cleanRemoteText(name, { multiline: false }) || undefined,
        instructions: cleanRemoteText(instructions) || undefined,
        retry: this.kbdTries > 1,
      });
      if (a === undefined) {
        this.kbdCancelled = true;
        return finish([]);
      }
      answers.push(a);
    }
    if (prompts.length) this.kbdAnswered = true;
    if (prompts.some((p) => !p.echo && /password/i.test(p.prompt))) this.kbdPassword = true;
    finish(answers);
  }

  private identityBlobs(): Buffer[] {
    const out: Buffer[] = [];
    for (const p of this.host.identityFiles) {
      const id = loadIdentity(p);
      const pub = id.pub ?? (id.priv ? parsePublic(id.priv.getPublicSSH()) : null);
      if (pub) out.push(pub.getPublicSSH());
    }
    return out;
  }

  /** The error for "every method failed": who we are, what we tried, what the server accepts, what to do. */
  failure(): BootstrapError {
    const who = `${this.host.user}@${this.host.hostname}${this.host.port === 22 ? '' : ` (port ${this.host.port})`}`;
    const parts: string[] = [];
    if (this.agentKeys) {
      const n = this.agentKeys.keys.length;
      parts.push(
        n
          ? `${n} key${n === 1 ? '' : 's'} from the ssh agent`
          : `the ssh agent (no usable keys${this.agentKeys.errors.length ? `: ${this.agentKeys.errors[0]}` : ''})`,
      );
    }
    if (this.idKeys) {
      const files = this.idKeys.identities.filter((i) => i.pub).map((i) => tildify(i.path));
      if (files.length) parts.push(`key file${files.length === 1 ? '' : 's'} ${files.join(', ')}`);
    }
    if (this.kbdTries && this.kbdAnswered)
      parts.push(`keyboard-interactive (${this.kbdTries} attempt${this.kbdTries === 1 ? '' : 's'})`);
    if (this.passwordTries)
      parts.push(`password (${this.passwordTries} attempt${this.passwordTries === 1 ? '' : 's'})`);
    const lines: string[] = [];
    const pwAttempts = this.passwordTries + (this.kbdPassword ? this.kbdTries : 0);
    if (pwAttempts)
      lines.push(
        `Permission denied: ${who} did not accept the password${pwAttempts > 1 ? ` (${pwAttempts} attempts)` : ''}.`,
      );
    else if (this.kbdAnswered)
      lines.push(`Permission denied: ${who} did not accept the answers to its keyboard-interactive questions.`);
    else lines.push(`Permission denied: ${who} accepted none of our credentials.`);
    lines.push(
      `Tried: ${parts.length ? parts.join('; ') : 'nothing (no agent, no key files, and no questions could be asked)'}.`,
    );
    if (this.idKeys?.failedPassphrase.length)
      lines.push(`No passphrase for: ${this.idKeys.failedPassphrase.map(tildify).join(', ')}.`);
    if (this.serverMethods.length) lines.push(`The server accepts: ${this.serverMethods.join(', ')}.`);
    if (this.passwordCancelled || this.kbdCancelled) lines.push('(A question was cancelled.)');
    if (this.host.batchMode) lines.push('BatchMode is on, so no password or passphrase was asked.');
    return new BootstrapError('auth', lines.join('\n'));
  }
}
