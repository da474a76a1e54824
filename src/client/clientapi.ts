// The shapes MoshClient shares with its front ends: its options, the events it raises, its status, how a session
// ends, and a saved session (the plain data a new process continues from). Types and constants only; the session
// itself is moshclient.ts.
import type { Snapshot } from '../emulator';
import type { DisplayPreference } from '../predict';
import type { HistoryMark, SerializedUserStream, ServerHelloInfo } from '../statesync';
import { type Clock, RESTORE_GAP, type SavedTransport, type SocketFactory } from '../transport';
import type { ForwardAgentTarget, ForwardingStatus, SavedChannels } from './forwarding';

export const CONNECTING_WAKE = 250;
export const CONNECT_TIMEOUT = 15_000;

export type ConnectionState = 'connecting' | 'connected' | 'waiting' | 'gone';

export interface ClientStatus {
  state: ConnectionState;
  /** Smoothed round-trip time in ms, or null before the first sample. */
  rttMs: number | null;
  /** Milliseconds since the server was last heard from, or null if never. */
  lastContactMs: number | null;
}

export type ExitReason =
  /** The user asked (close()) and the server acknowledged. */
  | 'user'
  /** The server ended the session (the shell exited) and we acknowledged. */
  | 'server'
  /** Our shutdown was not acknowledged in time. */
  | 'unclean'
  /** Nothing was ever received from the server. */
  | 'no-contact'
  /** A restored session's server never answered: it is gone (timed out, rebooted). */
  | 'gone';

export interface ClientExit {
  reason: ExitReason;
  /** Status a command-line front end should exit with (0 only after a clean shutdown). */
  code: number;
  /** Words for the user, or '' when nothing needs saying. */
  message: string;
}

export interface MoshClientOptions {
  host: string;
  port: number;
  /** The 22-character key printed by the server (MOSH CONNECT), or its 16 bytes. */
  key: string | Buffer;
  cols: number;
  rows: number;
  predict?: DisplayPreference;
  predictOverwrite?: boolean;
  /**
   * Lines of scrollback the user's terminal keeps. With our server, every line that scrolls off its screen is
   * written into that scrollback (with a stock server, only what the frames show scrolls by). 0: ask for none.
   */
  scrollback?: number;
  /** Pass the remote application's clipboard writes (OSC 52) on to the user's terminal; default true, as stock. */
  allowClipboardWrite?: boolean;
  /** Name of the quit key in the notification bar ("Ctrl-^" for the CLI). Empty: no quit hint. */
  quitHint?: string;
  clock?: Clock;
  socketFactory?: SocketFactory;
  /** Give up after this long with no word from the server at all (ms); default 15 s as stock. 0 = never. */
  connectTimeoutMs?: number;
  /** Continue this saved session instead of starting a new one (see MoshClient.restore). */
  resume?: SavedSession;
  /** Forward this agent to the session (our server gives the shell SSH_AUTH_SOCK: forwarding.ts); none if unset. */
  forwardAgent?: ForwardAgentTarget;
}

/**
 * A session saved for a new process to continue (plain JSON data). It holds the session key: store it where
 * secrets belong. Sequence numbers: a restored client starts at `seqFloor`, which is beyond every number this
 * client may use until it asks for the next save (the `save` event), so no nonce is ever reused, even if the
 * process dies between saves.
 */
export interface SavedSession {
  version: 1;
  host: string;
  port: number;
  key: string;
  cols: number;
  rows: number;
  predict: DisplayPreference;
  predictOverwrite: boolean;
  seqFloor: string;
  transport: SavedTransport<SerializedUserStream, SavedTerminal>;
  /** Wall-clock time of the save (ms since the epoch), for "saved N seconds ago" messages. */
  savedAt: number;
  /** The agent this session forwards (absent: none). */
  forwardAgent?: ForwardAgentTarget;
}

export interface SavedTerminal {
  snapshot: Snapshot;
  echoAck: string;
  /** Ours: the server's hello and how far the history went (absent with a stock server). */
  hello?: ServerHelloInfo | null;
  history?: HistoryMark | null;
  /** Ours: the channels (absent with a stock server, or without forwarding). */
  channels?: SavedChannels;
}

/** Datagrams a client may send after a save before it must save again: half of this (the save event). */
export const SEQ_GAP = RESTORE_GAP;

export interface MoshClientEvents {
  /** Escape sequences to write to the user's terminal (UTF-8). */
  screen?: (data: Buffer) => void;
  status?: (s: ClientStatus) => void;
  title?: (title: string) => void;
  bell?: () => void;
  exit?: (e: ClientExit) => void;
  /** The client's sequence numbers approach the last saved floor: save now (only after a first save). */
  save?: () => void;
  /** The first state from the server arrived: its hello (our server) or null (a stock mosh-server). Once. */
  peer?: (hello: ServerHelloInfo | null) => void;
  /** Agent forwarding was asked for: whether the server does it, once its first state arrived. */
  forwarding?: (s: ForwardingStatus) => void;
}
