// Connects the VS Code terminal to the ssh bootstrap (src/ssh/bootstrap.ts): maps the extension's settings to
// its options and its steps to progress messages. No logic of its own.
import { bootstrap as sshBootstrap, type BootstrapStep, forwardTarget } from '../ssh';
import type { Bootstrap } from './terminal';

const STEP_TEXT: Record<BootstrapStep, string> = {
  ssh: 'connecting with ssh...',
  deploy: 'installing the mosh server...',
  start: 'starting the mosh server...',
};

export const bootstrap: Bootstrap = async (req) => {
  const s = req.settings;
  const r = await sshBootstrap({
    target: req.target,
    prompter: req.prompter,
    server: s.server || 'auto',
    remoteNode: s.remoteNodePath || undefined,
    ports: s.udpPortRange || undefined,
    locale: s.locale ? { LANG: s.locale } : undefined,
    command: req.command,
    resolve: s.sshConfigFile ? { configFiles: [s.sshConfigFile] } : undefined,
    log: req.log,
    signal: req.signal,
    progress: (step) => req.progress(STEP_TEXT[step]),
  });
  // Agent forwarding: the setting, else the host's ForwardAgent; only our server can do it.
  const forward = forwardTarget(r.host, s.forwardAgent ? true : undefined) ?? undefined;
  const ours = r.server.kind === 'bundled';
  return {
    host: r.ip,
    port: r.port,
    key: r.key,
    server: r.server.description,
    forwardAgent: ours ? forward : undefined,
    forwardingOff:
      forward && !ours
        ? `the mosh server on ${r.host.hostname} is ${r.server.description}, which cannot forward an ssh agent (only this extension's server can)`
        : undefined,
  };
};
