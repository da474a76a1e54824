// A Prompter for tests: answers from scripts, records every question (never the answers' secrecy: tests only).
import type { HostKeyQuestion, Prompter, SecretKind, TextQuestion } from '../../src/ssh/prompt';

export class ScriptedPrompter implements Prompter {
  readonly questions: TextQuestion[] = [];
  readonly hostKeyQuestions: HostKeyQuestion[] = [];
  readonly infos: string[] = [];
  private readonly answers: Record<SecretKind, (string | undefined)[]>;

  constructor(
    answers: Partial<Record<SecretKind, (string | undefined)[]>> = {},
    private readonly trustHostKey = false,
  ) {
    this.answers = { password: [], passphrase: [], 'keyboard-interactive': [], ...answers };
  }

  async ask(q: TextQuestion): Promise<string | undefined> {
    this.questions.push(q);
    const list = this.answers[q.kind];
    return list.length ? list.shift() : undefined;
  }

  async confirmHostKey(q: HostKeyQuestion): Promise<boolean> {
    this.hostKeyQuestions.push(q);
    return this.trustHostKey;
  }

  info(message: string): void {
    this.infos.push(message);
  }

  kinds(): SecretKind[] {
    return this.questions.map((q) => q.kind);
  }
}
