// Agent forwarding for one MoshClient: the channels (channels.ts) wired to its transport, the local agent as each
// channel's other end (agentrelay.ts), the hello features that ask our server for it, when channel bytes may join
// the user stream (only when a background frame may leave and no keystroke waits: TransportSender.isBackground),
// what the user is told once the server's first state says whether it forwards, and the channel table's saved
// form. Not the channel protocol (statesync/channels.ts) nor the session (moshclient.ts, which calls this once per
// wake-up).
import {
  ChannelInbox,
  type ChannelMark,
  type ChannelTable,
  FEATURE_AGENT,
  FEATURE_CHANNELS,
  KIND_AGENT,
  type TerminalState,
  type UserStream,
} from '../statesync';
import type { Transport } from '../transport';
import { type ForwardAgentTarget, openAgent } from './agentrelay';
import { ChannelManager } from './channels';

export type { ForwardAgentTarget } from './agentrelay';

/** Whether agent forwarding is on for this session, and if not, why (once the server's first state is in). */
export interface ForwardingStatus {
  on: boolean;
  /** Words for the user: why it is off (empty when on). */
  reason: string;
}

/** A terminal state's channel table as plain JSON data (saved sessions). */
export type SavedChannels = { marks: [number, ChannelMark][]; agentError: string | null } | null;

export function savedChannels(t: ChannelTable | null): SavedChannels {
  return t === null ? null : { marks: [...t.marks], agentError: t.agentError };
}

export function loadedChannels(t: SavedChannels | undefined): ChannelTable | null {
  if (!t || !Array.isArray(t.marks)) return null;
  return { marks: new Map(t.marks), agentError: t.agentError ?? null };
}

export class AgentForwarding {
  /** What the client's hello says it takes. */
  static readonly features = [FEATURE_CHANNELS, FEATURE_AGENT];

  /** The inbox a client's terminal states are made with when it forwards `target` (null: no forwarding). */
  static inbox(target: ForwardAgentTarget | undefined): ChannelInbox | null {
    return target ? new ChannelInbox() : null;
  }

  private readonly manager: ChannelManager;
  private reported = false;

  /** `inbox` is the one the client's terminal states were made with (it receives the server's channel bytes). */
  constructor(
    private readonly t: Transport<UserStream, TerminalState>,
    readonly inbox: ChannelInbox,
    target: ForwardAgentTarget,
    kick: () => void,
  ) {
    this.manager = new ChannelManager({
      inbox,
      open: (kind) => (kind === KIND_AGENT ? openAgent({ target }) : null),
      push: (event) => {
        t.currentState.pushExt(event);
        return t.currentState.count;
      },
      kick,
    });
    // Channel traffic never holds a keystroke back for a frame interval.
    t.sender.isBackground = (current, base) => current.backgroundChangeFrom(base);
  }

  /** A restored client: the channels of the saved states belonged to the process that saved them: closed. */
  adoptRestored(): void {
    this.manager.adopt(this.t.receivedStates.map((s) => s.state.channels));
  }

  /** One turn, before the transport's tick. */
  step(now: number): void {
    const t = this.t;
    // Channel bytes join the user stream only when a background frame may leave and no keystroke waits to go.
    const move = now >= t.sender.backgroundPaceTime && !this.foregroundPending();
    this.manager.step(t.latestRemote().state.channels, this.ackedEventCount(), move);
  }

  /** Milliseconds until channel bytes that wait may join the user stream (Infinity: none wait, or a keystroke goes first). */
  waitTime(now: number): number {
    if (this.foregroundPending() || !this.manager.canMove(this.t.latestRemote().state.channels)) return Infinity;
    return Math.max(0, this.t.sender.backgroundPaceTime - now);
  }

  /** The user stream has events other than channel events that have not been sent yet (keystrokes, a resize). */
  private foregroundPending(): boolean {
    const cur = this.t.currentState;
    const back = this.t.sender.sentStates[this.t.sender.sentStates.length - 1].state;
    return !cur.equals(back) && !cur.backgroundChangeFrom(back);
  }

  /** Once the server's first state is in: whether it forwards, and if not, why (for `report`, once). */
  report(host: string, emit: (s: ForwardingStatus) => void): void {
    const latest = this.t.latestRemote();
    if (this.reported || latest.num === 0n) return;
    this.reported = true;
    const hello = latest.state.hello;
    let reason = '';
    if (hello === null) reason = `the server on ${host} is a stock mosh-server, which cannot forward an ssh agent`;
    else if (!hello.features.includes(FEATURE_AGENT))
      reason = latest.state.channels?.agentError ?? `the mosh server on ${host} does not forward ssh agents`;
    emit({ on: reason === '', reason });
  }

  dispose(): void {
    this.manager.dispose();
  }

  /** Event count of the newest user-stream state the server acknowledged. */
  private ackedEventCount(): number {
    const s = this.t.sender;
    return (s.sentStates.find((x) => x.num === s.sentStateAcked) ?? s.sentStates[0]).state.count;
  }
}
