// The ssh bootstrap's questions (src/ssh/prompt.ts) asked with VS Code's input boxes and modal dialogs.
// Answers are never logged.
import * as vscode from 'vscode';
import type { HostKeyQuestion, Prompter, TextQuestion } from '../ssh';

export class VsCodePrompter implements Prompter {
  constructor(private readonly log: vscode.LogOutputChannel) {}

  async ask(q: TextQuestion): Promise<string | undefined> {
    this.log.info(`asking the user: ${q.kind}${q.retry ? ' (again: the last answer was refused)' : ''}`);
    const title =
      q.kind === 'keyboard-interactive'
        ? q.title || 'Mosh: the server asks'
        : q.kind === 'passphrase'
          ? 'Mosh: key passphrase'
          : 'Mosh: password';
    // The bootstrap gave up (a deadline, or the user cancelled): the input box goes away.
    const cts = new vscode.CancellationTokenSource();
    const onAbort = () => cts.cancel();
    if (q.signal?.aborted) return undefined;
    q.signal?.addEventListener('abort', onAbort);
    try {
      return await vscode.window.showInputBox(
        {
          title,
          prompt: [q.instructions, q.retry ? 'That was not accepted; try again.' : '', q.message.trim()]
            .filter(Boolean)
            .join(' '),
          password: !q.echo,
          ignoreFocusOut: true,
        },
        cts.token,
      );
    } finally {
      q.signal?.removeEventListener('abort', onAbort);
      cts.dispose();
    }
  }

  async confirmHostKey(q: HostKeyQuestion): Promise<boolean> {
    this.log.info(`unknown host key for ${q.host}: ${q.keyType} ${q.fingerprint}`);
    const choice = await vscode.window.showWarningMessage(
      `The authenticity of host '${q.host}' can't be established.`,
      {
        modal: true,
        detail: `${q.keyType} key fingerprint is ${q.fingerprint}.${q.otherKnownTypes.length ? `\nOther known key types for this host: ${q.otherKnownTypes.join(', ')}.` : ''}\n\nConnect and remember this key in known_hosts?`,
      },
      'Connect',
    );
    return choice === 'Connect';
  }

  info(message: string): void {
    this.log.info(message);
  }
}
