// The one interface through which the ssh bootstrap asks the user anything: passwords, key passphrases,
// keyboard-interactive (2FA) questions and whether to trust an unknown host key. VS Code supplies an
// implementation built on input boxes (src/vscode/), the terminal command line one that reads the tty
// (src/cli/cli.ts). This module only defines the shapes; it asks nothing itself and logs nothing. Texts from
// the server (keyboard-interactive prompts, the banner) arrive here with control characters already removed.

export type SecretKind = 'password' | 'passphrase' | 'keyboard-interactive';

export interface TextQuestion {
  kind: SecretKind;
  /** The question as a terminal would print it, e.g. "moshtest@127.0.0.1's password: ". */
  message: string;
  /** False for secrets: the answer must not be shown while typed. */
  echo: boolean;
  /** Keyboard-interactive only: the server's name and instructions for this round, if any. */
  title?: string;
  instructions?: string;
  /** True when an earlier answer to the same question was refused (wrong password or passphrase). */
  retry?: boolean;
  /** Aborted when the bootstrap is cancelled or gives up: close the question (its answer is no longer wanted). */
  signal?: AbortSignal;
}

export interface HostKeyQuestion {
  kind: 'hostkey';
  /** The name the key is recorded under: "host" or "[host]:port". */
  host: string;
  /** OpenSSH's names: ED25519, ECDSA, RSA, DSA. */
  keyType: string;
  /** "SHA256:..." as ssh-keygen -l prints it. */
  fingerprint: string;
  /** Keys of other types that are already known for this host (a warning for the user). */
  otherKnownTypes: string[];
  /** The whole question in OpenSSH's words, for front ends that show one block of text. */
  message: string;
  /** Aborted when the bootstrap is cancelled or gives up: close the question (its answer is no longer wanted). */
  signal?: AbortSignal;
}

export interface Prompter {
  /** Asks for one line of text. Resolves `undefined` when the user cancels (the method is then given up). */
  ask(q: TextQuestion): Promise<string | undefined>;
  /** Asks whether to trust an unknown host key: true to continue (and record it), false to refuse. */
  confirmHostKey(q: HostKeyQuestion): Promise<boolean>;
  /** Something to show without an answer: the server's login banner, a warning. Optional. */
  info?(message: string): void;
}
