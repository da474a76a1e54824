// The channel layer on both sides of a real SSP session over the deterministic fake network: the server's
// ChannelHost feeding its terminal state and reading the user stream, the client's ChannelManager following the
// received terminal state and writing channel events, with in-memory streams for the remote programs (server side)
// and the local agents (client side). What session.ts and moshclient.ts do for channels, without pty, emulator
// or sockets. Test support only.
import { ChannelManager } from '../../src/client/channels';
import { blankSnapshot } from '../../src/emulator';
import { ChannelInbox } from '../../src/statesync/channels';
import { decodeChannelEvent } from '../../src/statesync/channelwire';
import { TerminalState } from '../../src/statesync/terminal';
import { UserStream } from '../../src/statesync/userstream';
import { Connection } from '../../src/transport/connection';
import { generateKey } from '../../src/transport/key';
import { OcbAes128 } from '../../src/transport/ocb';
import { SEND_MINDELAY_CLIENT, SEND_MINDELAY_SERVER } from '../../src/transport/sender';
import { Transport } from '../../src/transport/transport';
import { ChannelHost } from '../../server/channelhost';
import { FakeNet, type LinkRule, run, type Steppable } from './fakenet';
import { MemEnd } from './memstream';

export const RIG_SERVER = { address: '127.0.0.1', port: 60001 };
export const RIG_CLIENT_ADDR = '127.0.0.2';

export interface RigOptions {
  seed?: number;
  rule?: LinkRule;
  /** The client's local end for a new channel (default: a new agent end, kept in `agents`); null refuses. */
  open?: ((kind: string) => MemEnd | null) | null;
  /** Kinds of channel the server takes from the client (each connects to a new "service" end, kept in `services`). */
  services?: string[];
}

/** The side's current state has a change other than channel bytes not sent yet (as session.ts and forwarding.ts). */
interface BackgroundAware<S> {
  equals(o: S): boolean;
  backgroundChangeFrom(o: S): boolean;
}
function fgPending<S extends BackgroundAware<S>>(t: {
  currentState: S;
  sender: { sentStates: { state: S }[] };
}): boolean {
  const cur = t.currentState;
  const back = t.sender.sentStates[t.sender.sentStates.length - 1].state;
  return !cur.equals(back) && !cur.backgroundChangeFrom(back);
}

export class ChannelRig {
  readonly net: FakeNet;
  readonly key = generateKey();
  readonly host: ChannelHost;
  readonly server: Transport<TerminalState, UserStream>;
  readonly client: Transport<UserStream, TerminalState>;
  readonly inbox = new ChannelInbox();
  readonly manager: ChannelManager;
  /** The far ends of the client's local streams (the "agents"), in the order the channels opened. */
  readonly agents: MemEnd[] = [];
  /** What each new agent end does when it is made (e.g. echo what it reads). */
  onAgent: (end: MemEnd) => void = () => undefined;
  /** The far ends of the server's side of the channels the client opened, in order. */
  readonly services: MemEnd[] = [];
  /** What each new service end does when it is made. */
  onService: (end: MemEnd) => void = () => undefined;
  /** Client paused: it neither ticks nor reads datagrams (a frozen process). */
  frozen = false;
  private serverKicked = false;
  private clientKicked = false;
  private consumedNum = 0n;
  private consumedCount = 0;
  readonly serverPeer: Steppable;
  readonly clientPeer: Steppable;

  constructor(o: RigOptions = {}) {
    this.net = new FakeNet(o.seed ?? 1);
    if (o.rule) this.net.defaultRule = o.rule;
    const clock = this.net.clock;
    this.host = new ChannelHost({
      kick: () => (this.serverKicked = true),
      service: (kind) => {
        if (!(o.services ?? []).includes(kind)) return null;
        const [theirs, service] = MemEnd.pair(false, true);
        this.services.push(service);
        this.onService(service);
        return theirs;
      },
    });
    // eslint-disable-next-line prefer-const
    let server: Transport<TerminalState, UserStream>;
    const ssock = this.net.bind(RIG_SERVER.address, RIG_SERVER.port, (msg, from) => server.receive(msg, from));
    server = new Transport<TerminalState, UserStream>({
      connection: Connection.server({ aead: new OcbAes128(this.key), clock, socket: ssock, family: 'udp4' }),
      clock,
      initialLocal: new TerminalState(blankSnapshot(80, 24), 0n, { channelSource: this.host }),
      initialRemote: new UserStream(),
      sendMinDelay: SEND_MINDELAY_SERVER,
    });
    server.sender.isBackground = (c, b) => c.backgroundChangeFrom(b);
    this.server = server;
    const cconn = Connection.client({
      aead: new OcbAes128(this.key),
      clock,
      server: RIG_SERVER,
      socketFactory: this.net.clientFactory(RIG_CLIENT_ADDR),
    });
    this.client = new Transport<UserStream, TerminalState>({
      connection: cconn,
      clock,
      initialLocal: new UserStream(),
      initialRemote: TerminalState.initial(80, 24, { inbox: this.inbox }),
      sendMinDelay: SEND_MINDELAY_CLIENT,
      paceFromDataOnly: true,
    });
    this.client.sender.isBackground = (c, b) => c.backgroundChangeFrom(b);
    cconn.onSocketMessage = (msg, from) => {
      if (!this.frozen) this.client.receive(msg, from);
    };
    const open = o.open === undefined ? () => this.newAgent() : o.open;
    this.manager = new ChannelManager({
      inbox: this.inbox,
      open: open === null ? null : (kind) => open(kind),
      push: (event) => {
        this.client.currentState.pushExt(event);
        return this.client.currentState.count;
      },
      kick: () => (this.clientKicked = true),
    });
    this.client.currentState.pushResize(80, 24);
    // Like the real event loops: a kick (bytes from a stream) runs the side at once, else its transport's timer.
    // Like the real event loops: a kick (bytes from a stream) runs the side at once, else its transport's timer, or
    // the time a background frame may leave when channel bytes wait for it.
    const serverWait = () => {
      const s = this.server;
      let w = s.waitTime();
      if (!fgPending(s) && this.host.canMove(s.sender.sentStates[0].state.channels))
        w = Math.min(w, Math.max(0, s.sender.backgroundPaceTime - this.net.clock.now()));
      return w;
    };
    const clientWait = () => {
      const c = this.client;
      let w = c.waitTime();
      if (!fgPending(c) && this.manager.canMove(c.latestRemote().state.channels))
        w = Math.min(w, Math.max(0, c.sender.backgroundPaceTime - this.net.clock.now()));
      return w;
    };
    this.serverPeer = { tick: () => this.serverTick(), waitTime: () => (this.serverKicked ? 0 : serverWait()) };
    this.clientPeer = {
      tick: () => {
        if (!this.frozen) this.clientTick();
      },
      waitTime: () => (this.frozen ? Infinity : this.clientKicked ? 0 : clientWait()),
    };
  }

  /** A program on the remote host connects to the agent socket: its end of the connection. */
  remote(collect = true): MemEnd {
    const [mine, theirs] = MemEnd.pair(collect, false);
    this.host.accept(theirs, 'agent');
    return mine;
  }

  /** The client opens a channel of `kind`: the local end a program on the client's side writes to and reads. */
  openFromClient(kind: string): { end: MemEnd; id: number | null } {
    const [mine, local] = MemEnd.pair(true, false);
    const id = this.manager.openLocal(kind, local);
    return { end: mine, id };
  }

  run(ms: number, stop?: () => boolean): void {
    run(this.net, [this.clientPeer, this.serverPeer], this.net.clock.now() + ms, stop);
  }

  /** Event count of the newest user-stream state the server acknowledged. */
  ackedCount(): number {
    const s = this.client.sender;
    return (s.sentStates.find((x) => x.num === s.sentStateAcked) ?? s.sentStates[0]).state.count;
  }

  private newAgent(): MemEnd {
    const [local, agent] = MemEnd.pair(false, true);
    this.agents.push(agent);
    this.onAgent(agent);
    return local;
  }

  private serverTick(): void {
    this.serverKicked = false;
    const s = this.server;
    const latest = s.latestRemote();
    if (latest.num !== this.consumedNum) {
      this.consumedNum = latest.num;
      for (const r of latest.state.runsSince(Math.max(this.consumedCount, latest.state.retainedFrom))) {
        if (r.type !== 'ext') continue;
        const e = decodeChannelEvent(r.bytes);
        if (e !== null) this.host.event(e);
      }
      this.consumedCount = latest.state.count;
      s.pruneReceived();
    }
    const cur = s.currentState;
    const move = this.net.clock.now() >= s.sender.backgroundPaceTime && !fgPending(s);
    const table = this.host.update(cur.channels, s.sender.sentStates[0].state.channels, move);
    if (table !== cur.channels) s.setCurrentState(cur.withChannels(table));
    s.tick();
  }

  private clientTick(): void {
    this.clientKicked = false;
    const c = this.client;
    const move = this.net.clock.now() >= c.sender.backgroundPaceTime && !fgPending(c);
    this.manager.step(c.latestRemote().state.channels, this.ackedCount(), move);
    this.client.tick();
  }
}
