// A stand-in for the `vscode` module, so that the bundled extension (dist/extension.js, and dist/session.js that it
// loads) runs under plain Node: in the activation benchmark, and in glue tests that drive its commands and panels
// without a VS Code. It implements only the API the extension uses, records what the extension asked of it
// (terminals created, settings written, messages shown), and answers dialogs from a script. Test support only: it is
// not VS Code, and a test that passes here says nothing about the workbench's own behaviour.
import Module from 'node:module';

type Listener<T> = (e: T) => unknown;

class EventEmitter<T> {
  private listeners = new Set<Listener<T>>();
  readonly event = (l: Listener<T>) => {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

class Memento {
  private readonly data = new Map<string, unknown>();
  constructor(initial: Record<string, unknown> = {}) {
    for (const [k, v] of Object.entries(initial)) this.data.set(k, structuredClone(v));
  }
  get<T>(key: string, dflt?: T): T | undefined {
    return this.data.has(key) ? (structuredClone(this.data.get(key)) as T) : dflt;
  }
  async update(key: string, value: unknown): Promise<void> {
    if (value === undefined) this.data.delete(key);
    else this.data.set(key, structuredClone(value));
  }
  keys(): string[] {
    return [...this.data.keys()];
  }
  setKeysForSync(): void {}
}

export interface FakeTerminal {
  name: string;
  creationOptions: { name?: string; pty?: unknown };
  exitStatus: { code: number | undefined; reason: number } | undefined;
  shown: number;
  disposed: boolean;
  show(preserveFocus?: boolean): void;
  dispose(): void;
}

export interface FakeFolder {
  uri: { scheme: string; authority: string; path: string; fsPath: string; toString(): string };
  name: string;
  index: number;
}

export interface FakeVscodeOptions {
  /** vscode.env.remoteName */
  remoteName?: string;
  /** Workspace folder URIs, e.g. 'vscode-remote://ssh-remote+devbox/srv/app' or 'file:///tmp/x'. */
  folders?: string[];
  /** Settings by full key ('mosh.server'), as the merged value getConfiguration returns. */
  settings?: Record<string, unknown>;
  /** Initial workspaceState / globalState / secrets. */
  workspaceState?: Record<string, unknown>;
  globalState?: Record<string, unknown>;
  secrets?: Record<string, string>;
  /** Answers to modal and non-modal messages: the button to press, by a regexp on the message (else none). */
  answers?: { match: RegExp; button: string }[];
}

export interface FakeVscode {
  /** The module object that `require('vscode')` returns. */
  readonly api: Record<string, unknown>;
  readonly context: Record<string, unknown> & { subscriptions: { dispose(): unknown }[] };
  readonly terminals: FakeTerminal[];
  readonly messages: { kind: 'info' | 'warning' | 'error'; text: string }[];
  readonly logLines: string[];
  /** Workspace-level settings written through configuration.update: full key -> value. */
  readonly workspaceWrites: Map<string, unknown>;
  readonly commands: Map<string, (...args: unknown[]) => unknown>;
  readonly profileProviders: Map<string, { provideTerminalProfile(token?: unknown): unknown }>;
  /** Changes a setting (full key) as a user would; undefined removes it. */
  setSetting(key: string, value: unknown): void;
  /** Simulates VS Code closing a terminal (TerminalExitReason: 0 Unknown, 1 Shutdown, 2 Process, 3 User, 4 Extension). */
  closeTerminal(t: FakeTerminal, reason: number): void;
  setActiveTerminal(t: FakeTerminal | undefined): void;
  /** Stops answering `require('vscode')` with this fake. */
  uninstall(): void;
}

function parseUri(text: string): FakeFolder['uri'] {
  const u = new URL(text);
  const path = decodeURIComponent(u.pathname);
  return {
    scheme: u.protocol.replace(/:$/, ''),
    authority: decodeURIComponent(u.host),
    path,
    fsPath: path,
    toString: () => text,
  };
}

const MODULE_ID = 'vscode-fake-module';

/** Makes `require('vscode')` return a fresh fake in this process. */
export function installFakeVscode(o: FakeVscodeOptions = {}): FakeVscode {
  const settings = new Map<string, unknown>(Object.entries(o.settings ?? {}));
  const workspaceWrites = new Map<string, unknown>();
  const terminals: FakeTerminal[] = [];
  const messages: FakeVscode['messages'] = [];
  const logLines: string[] = [];
  const commands = new Map<string, (...args: unknown[]) => unknown>();
  const profileProviders = new Map<string, { provideTerminalProfile(token?: unknown): unknown }>();
  const onOpen = new EventEmitter<FakeTerminal>();
  const onClose = new EventEmitter<FakeTerminal>();
  const onActive = new EventEmitter<FakeTerminal | undefined>();
  const onConfig = new EventEmitter<{ affectsConfiguration(s: string): boolean }>();
  let activeTerminal: FakeTerminal | undefined;
  const disposable = { dispose() {} };
  const folders: FakeFolder[] | undefined = o.folders?.map((f, index) => {
    const uri = parseUri(f);
    return { uri, name: uri.path.split('/').pop() ?? '', index };
  });

  const answer = (kind: 'info' | 'warning' | 'error', text: string, items: unknown[]) => {
    messages.push({ kind, text });
    const buttons = items.filter((i): i is string => typeof i === 'string');
    const a = (o.answers ?? []).find((x) => x.match.test(text) && buttons.includes(x.button));
    return Promise.resolve(a?.button);
  };

  const getConfiguration = (section = '') => {
    const full = (key: string) => (section ? `${section}.${key}` : key);
    return {
      get<T>(key: string, dflt?: T): T | undefined {
        const k = full(key);
        if (workspaceWrites.has(k)) return workspaceWrites.get(k) as T;
        return settings.has(k) ? (settings.get(k) as T) : dflt;
      },
      has: (key: string) => settings.has(full(key)) || workspaceWrites.has(full(key)),
      inspect: (key: string) => ({
        key: full(key),
        workspaceValue: workspaceWrites.get(full(key)),
        globalValue: settings.get(full(key)),
      }),
      async update(key: string, value: unknown, target?: unknown) {
        if (target !== 2 && target !== 3)
          throw new Error(`fake vscode: only workspace settings can be written here (target ${String(target)})`);
        if (value === undefined) workspaceWrites.delete(full(key));
        else workspaceWrites.set(full(key), value);
      },
    };
  };

  const logChannel = (name: string) => {
    const line = (level: string) => (msg: string) => logLines.push(`[${name}] ${level} ${msg}`);
    return {
      name,
      info: line('info'),
      warn: line('warn'),
      error: line('error'),
      debug: line('debug'),
      trace: line('trace'),
      append: line(''),
      appendLine: line(''),
      show() {},
      hide() {},
      clear() {},
      dispose() {},
      replace() {},
      logLevel: 2,
      onDidChangeLogLevel: () => disposable,
    };
  };

  class ThemeIcon {
    constructor(readonly id: string) {}
  }
  class ThemeColor {
    constructor(readonly id: string) {}
  }
  class TerminalProfile {
    constructor(readonly options: unknown) {}
  }

  const api: Record<string, unknown> = {
    EventEmitter,
    ThemeIcon,
    ThemeColor,
    TerminalProfile,
    StatusBarAlignment: { Left: 1, Right: 2 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    TerminalExitReason: {
      0: 'Unknown',
      1: 'Shutdown',
      2: 'Process',
      3: 'User',
      4: 'Extension',
      Unknown: 0,
      Shutdown: 1,
      Process: 2,
      User: 3,
      Extension: 4,
    },
    Uri: {
      file: (p: string) => ({
        scheme: 'file',
        authority: '',
        path: p,
        fsPath: p,
        with: (c: object) => ({ scheme: 'file', path: p, ...c }),
      }),
      parse: parseUri,
    },
    env: { remoteName: o.remoteName, appName: 'fake', language: 'en' },
    window: {
      get activeTerminal() {
        return activeTerminal;
      },
      activeTextEditor: undefined,
      terminals,
      createOutputChannel: logChannel,
      createStatusBarItem: () => ({
        text: '',
        tooltip: '',
        command: undefined,
        name: '',
        show() {},
        hide() {},
        dispose() {},
      }),
      createTerminal(options: { name?: string; pty?: unknown }) {
        const t: FakeTerminal = {
          name: options.name ?? '',
          creationOptions: options,
          exitStatus: undefined,
          shown: 0,
          disposed: false,
          show() {
            t.shown++;
            activeTerminal = t;
            onActive.fire(t);
          },
          dispose() {
            if (!t.disposed) fake.closeTerminal(t, 4);
          },
        };
        terminals.push(t);
        onOpen.fire(t);
        return t;
      },
      registerTerminalProfileProvider(id: string, p: { provideTerminalProfile(token?: unknown): unknown }) {
        profileProviders.set(id, p);
        return disposable;
      },
      onDidOpenTerminal: onOpen.event,
      onDidCloseTerminal: onClose.event,
      onDidChangeActiveTerminal: onActive.event,
      withProgress: (_opts: unknown, task: (p: { report(v: unknown): void }, token: unknown) => unknown) =>
        Promise.resolve(
          task({ report() {} }, { isCancellationRequested: false, onCancellationRequested: () => disposable }),
        ),
      showInformationMessage: (text: string, ...items: unknown[]) => answer('info', text, items),
      showWarningMessage: (text: string, ...items: unknown[]) => answer('warning', text, items),
      showErrorMessage: (text: string, ...items: unknown[]) => answer('error', text, items),
      showInputBox: () => Promise.resolve(undefined),
      showQuickPick: () => Promise.resolve(undefined),
      showTextDocument: () => Promise.resolve(undefined),
      createQuickPick: () => {
        throw new Error('fake vscode: no quick pick (the test did not expect a host picker)');
      },
    },
    commands: {
      registerCommand(id: string, f: (...args: unknown[]) => unknown) {
        commands.set(id, f);
        return { dispose: () => commands.delete(id) };
      },
      async executeCommand(id: string, ...args: unknown[]) {
        const f = commands.get(id);
        if (!f) throw new Error(`fake vscode: command ${id} not found`);
        return f(...args);
      },
    },
    workspace: {
      workspaceFolders: folders,
      getConfiguration,
      getWorkspaceFolder: (uri: { path: string }) => folders?.find((f) => uri.path.startsWith(f.uri.path)),
      onDidChangeConfiguration: onConfig.event,
    },
  };

  const secrets = new Map<string, string>(Object.entries(o.secrets ?? {}));
  const context = {
    subscriptions: [] as { dispose(): unknown }[],
    workspaceState: new Memento(o.workspaceState),
    globalState: new Memento(o.globalState),
    secrets: {
      get: async (k: string) => secrets.get(k),
      store: async (k: string, v: string) => void secrets.set(k, v),
      delete: async (k: string) => void secrets.delete(k),
      onDidChange: () => disposable,
    },
    extensionPath: '',
    extension: { id: 'vscode-mosh.vscode-mosh' },
  };

  const mod = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const resolve = mod._resolveFilename;
  mod._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? MODULE_ID : resolve.call(this, request, ...rest);
  };
  require.cache[MODULE_ID] = { id: MODULE_ID, filename: MODULE_ID, loaded: true, exports: api } as NodeJS.Module;

  const fake: FakeVscode = {
    api,
    context,
    terminals,
    messages,
    logLines,
    workspaceWrites,
    commands,
    profileProviders,
    setSetting(key, value) {
      if (value === undefined) settings.delete(key);
      else settings.set(key, value);
      onConfig.fire({ affectsConfiguration: (s: string) => key === s || key.startsWith(`${s}.`) });
    },
    closeTerminal(t, reason) {
      if (t.disposed) return;
      t.disposed = true;
      t.exitStatus = { code: undefined, reason };
      (t.creationOptions.pty as { close?: () => void } | undefined)?.close?.();
      if (activeTerminal === t) {
        activeTerminal = undefined;
        onActive.fire(undefined);
      }
      onClose.fire(t);
    },
    setActiveTerminal(t) {
      activeTerminal = t;
      onActive.fire(t);
    },
    uninstall() {
      mod._resolveFilename = resolve;
      delete require.cache[MODULE_ID];
    },
  };
  return fake;
}
