// Agent forwarding as the ssh layer sees it: whether to forward and which agent, from ssh_config's ForwardAgent
// and the front end's switch (`-A`/`-a`, the mosh.forwardAgent setting), as OpenSSH decides; and, for Pageant
// (Windows), which speaks no socket, a stream that answers the forwarded agent protocol through ssh2's agent
// support (list keys and sign; every other request gets SSH_AGENT_FAILURE). Not the channel or the relay itself
// (src/client/channels.ts, agentrelay.ts).
import { AgentProtocol, type BaseAgent, createAgent, type ParsedKey } from 'ssh2';
import type { Duplex } from 'node:stream';
import type { ResolvedHost } from './config';

/** Which agent to forward: its socket or pipe path, or undefined for the default (client/agentrelay.ts reads it). */
export interface AgentTarget {
  path?: string;
}

/**
 * The agent to forward, or null for none. `wanted`: the front end's switch: true (-A, the setting on) forwards
 * even when ssh_config does not say so, false (-a) never forwards, undefined follows ssh_config's ForwardAgent.
 */
export function forwardTarget(
  host: Pick<ResolvedHost, 'forwardAgent' | 'identityAgent'>,
  wanted?: boolean,
): AgentTarget | null {
  if (wanted === false) return null;
  if (host.forwardAgent) return host.forwardAgent;
  if (wanted !== true) return null;
  return host.identityAgent === undefined ? {} : { path: host.identityAgent };
}

/**
 * A stream that serves the agent protocol from `agent` (requests written to it, answers read from it): the
 * requests for keys and signatures go to `agent`, anything else is answered with failure.
 */
export function agentProtocolStream(agent: BaseAgent): Duplex {
  const proto = new AgentProtocol(false);
  proto.on('identities', (req) => {
    agent.getIdentities((err, keys) => {
      if (err || !keys) return proto.failureReply(req);
      try {
        proto.getIdentitiesReply(req, keys as ParsedKey[]);
      } catch {
        proto.failureReply(req);
      }
    });
  });
  proto.on('sign', (req, pubKey, data, options) => {
    agent.sign(pubKey, data, options, (err?: Error | null, signature?: Buffer) => {
      if (err || !signature) return proto.failureReply(req);
      proto.signReply(req, signature);
    });
  });
  return proto;
}

/** Pageant as a forwarded agent (Windows). */
export function pageantStream(): Duplex {
  return agentProtocolStream(createAgent('pageant'));
}
