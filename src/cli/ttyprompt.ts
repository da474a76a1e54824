// The terminal's Prompter for the ssh bootstrap (src/ssh/prompt.ts), as ssh asks on a tty: questions on stderr,
// answers read from stdin in raw mode so secrets are not echoed (backspace, Ctrl-U, Ctrl-D = cancel, Ctrl-C =
// interrupt), host keys confirmed by typing yes, no or the fingerprint. Without a tty it reads plain lines (for
// scripts). Not the mosh session's tty handling (cli.ts).

import { StringDecoder } from 'node:string_decoder';
import type { HostKeyQuestion, Prompter, TextQuestion } from '../ssh';

export interface TtyPrompterOptions {
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
  /** Ctrl-C at a prompt: default exits with status 130 as a shell would. */
  onInterrupt?: () => void;
}

export class TtyPrompter implements Prompter {
  private readonly input: NodeJS.ReadStream;
  private readonly output: NodeJS.WriteStream;
  private readonly onInterrupt: () => void;
  /** Serializes questions: ssh2 never asks two at once, but be safe. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Typed (or piped) ahead of the question that now reads it. */
  private pending = '';

  constructor(o: TtyPrompterOptions = {}) {
    this.input = o.input ?? process.stdin;
    this.output = o.output ?? process.stderr;
    this.onInterrupt =
      o.onInterrupt ??
      (() => {
        this.output.write('\n');
        process.exit(130);
      });
  }

  private serial<T>(f: () => Promise<T>): Promise<T> {
    const p = this.queue.then(f, f);
    this.queue = p.catch(() => undefined);
    return p;
  }

  ask(q: TextQuestion): Promise<string | undefined> {
    return this.serial(async () => {
      if (q.retry && q.kind !== 'keyboard-interactive')
        this.output.write(
          q.kind === 'passphrase' ? 'Bad passphrase, try again.\n' : 'Permission denied, please try again.\n',
        );
      if (q.title) this.output.write(`${q.title}\n`);
      if (q.instructions) this.output.write(`${q.instructions.trimEnd()}\n`);
      return this.readLine(q.message, q.echo, q.signal);
    });
  }

  confirmHostKey(q: HostKeyQuestion): Promise<boolean> {
    return this.serial(async () => {
      const lines = q.message.split('\n');
      const question = lines.pop() ?? '';
      this.output.write(lines.join('\n') + '\n');
      let prompt = question + ' ';
      for (;;) {
        const a = await this.readLine(prompt, true, q.signal);
        if (a === undefined) return false;
        const t = a.trim();
        if (t.toLowerCase() === 'yes' || t === q.fingerprint) return true;
        if (t.toLowerCase() === 'no') return false;
        prompt = "Please type 'yes', 'no' or the fingerprint: ";
      }
    });
  }

  info(message: string): void {
    this.output.write(message.endsWith('\n') ? message : `${message}\n`);
  }

  /** One line from the user; undefined if the input ends or Ctrl-D is typed on an empty line. */
  readLine(prompt: string, echo: boolean, signal?: AbortSignal): Promise<string | undefined> {
    if (signal?.aborted) return Promise.resolve(undefined);
    this.output.write(prompt);
    const input = this.input;
    const tty = !!input.isTTY && typeof input.setRawMode === 'function';
    return new Promise((resolve) => {
      if (input.readableEnded && !this.pending) {
        this.output.write('\n');
        return resolve(undefined);
      }
      const decoder = new StringDecoder('utf8');
      let line = '';
      let escape = false;
      const wasRaw = tty ? input.isRaw : false;
      if (tty) input.setRawMode(true);
      let done = false;
      const finish = (v: string | undefined) => {
        if (done) return;
        done = true;
        input.off('data', onData);
        input.off('end', onEnd);
        signal?.removeEventListener('abort', onAbort);
        if (tty) input.setRawMode(wasRaw);
        input.pause();
        this.output.write(tty ? '\r\n' : '');
        resolve(v);
      };
      const onEnd = () => finish(line.length ? line : undefined);
      // The bootstrap gave up (a deadline, or cancelled): the question goes away unanswered.
      const onAbort = () => finish(undefined);
      signal?.addEventListener('abort', onAbort);
      const onData = (chunk: Buffer) => feed(decoder.write(chunk));
      const feed = (text: string) => {
        const chars = [...text];
        for (let i = 0; i < chars.length; i++) {
          const ch = chars[i];
          if (ch === '\r' || ch === '\n') {
            this.pending = chars.slice(i + 1).join('');
            if (ch === '\r' && this.pending.startsWith('\n')) this.pending = this.pending.slice(1);
            return finish(line);
          }
          if (escape) {
            // swallow an escape sequence (arrow keys etc.): ESC [ ... final letter, or ESC + one char
            if (ch !== '[' && ch !== 'O' && !/[0-9;]/.test(ch)) escape = false;
            continue;
          }
          if (ch === '\x03') {
            if (tty) input.setRawMode(wasRaw);
            this.output.write('^C');
            this.onInterrupt();
            return finish(undefined);
          }
          if (ch === '\x04') {
            if (!line) return finish(undefined);
            continue;
          }
          if (ch === '\x7f' || ch === '\b') {
            if (line) {
              line = [...line].slice(0, -1).join('');
              if (echo && tty) this.output.write('\b \b');
            }
            continue;
          }
          if (ch === '\x15') {
            if (echo && tty) this.output.write('\b \b'.repeat([...line].length));
            line = '';
            continue;
          }
          if (ch === '\x1b') {
            escape = true;
            continue;
          }
          if (ch < ' ') continue;
          line += ch;
          if (echo && tty) this.output.write(ch);
        }
      };
      input.on('data', onData);
      input.on('end', onEnd);
      const ahead = this.pending;
      this.pending = '';
      if (ahead) feed(ahead);
      if (!done) input.resume();
    });
  }
}
