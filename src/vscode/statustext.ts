// What the status bar item says about the active mosh panel: host, round-trip time, and, while nothing has come
// back from the server for a while, how long ago the last packet arrived (the client reports this every second
// while it lasts). Pure: ClientStatus in, text and tooltip out; the item itself is status.ts.
import type { ClientStatus } from '../client';

export interface StatusText {
  text: string;
  tooltip: string;
  /** warning: no contact for a while; error: the session has ended. */
  severity: 'ok' | 'warning' | 'error';
}

const CLICK_HINT = 'Click for the log, the remote sessions, or to reconnect.';

/** "7 s", "2 min 5 s", "3 h 4 min". */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function statusText(host: string, s: ClientStatus): StatusText {
  switch (s.state) {
    case 'connecting':
      return { text: `$(sync~spin) mosh ${host}`, tooltip: `Connecting to ${host}...\n${CLICK_HINT}`, severity: 'ok' };
    case 'waiting': {
      const age = s.lastContactMs === null ? null : formatAge(s.lastContactMs);
      return {
        text: `$(warning) mosh ${host} · ${age === null ? 'no contact' : `last contact ${age} ago`}`,
        tooltip: `Nothing has come back from ${host}${age === null ? '' : ` for ${age}`}. Mosh keeps trying and resumes by itself when the network returns.\n${CLICK_HINT}`,
        severity: 'warning',
      };
    }
    case 'gone':
      return {
        text: `$(debug-disconnect) mosh ${host} · ended`,
        tooltip: `The session with ${host} has ended.\n${CLICK_HINT}`,
        severity: 'error',
      };
    default:
      return {
        text: `$(remote) mosh ${host}${s.rttMs !== null ? ` · ${s.rttMs} ms` : ''}`,
        tooltip: `Connected to ${host}${s.rttMs !== null ? `, round trip ${s.rttMs} ms` : ''}.\n${CLICK_HINT}`,
        severity: 'ok',
      };
  }
}
