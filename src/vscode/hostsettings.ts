// Per-host settings (`mosh.hosts`): an object whose keys are host patterns, ssh_config style, and whose values
// override the global mosh.* settings for the hosts they match. For each field the first entry (in the order the
// settings file lists them) that matches the host and sets that field wins, as ssh_config does. Pure: no vscode.
//
//   "mosh.hosts": {
//     "devbox":        { "command": "tmux new -A -s main" },
//     "*.lab, !old.lab": { "server": "system", "udpPortRange": "60000:60010" },
//     "*":             { "predictionDisplay": "always" }
//   }
//
// A key is a list of patterns separated by commas or spaces; `*` matches any run of characters, `?` one; a pattern
// starting with `!` excludes the hosts it matches. Patterns are matched, ignoring case, against the host name or
// alias of the target without user and port (`me@devbox:2222` -> `devbox`); a pattern with `@` is matched against
// `user@host`. Not the ssh config's own Host matching: that stays the ssh layer's.
import { type CommandSpec, targetParts } from './target';

export const PREDICTION_MODES = ['adaptive', 'always', 'never', 'experimental'] as const;
export type PredictionMode = (typeof PREDICTION_MODES)[number];

/** What a mosh.hosts entry may set. */
export interface HostOverrides {
  /** A shell command line (string) or an argv (array) to run instead of the login shell. */
  command?: CommandSpec;
  server?: string;
  predictionDisplay?: PredictionMode;
  udpPortRange?: string;
  remoteNodePath?: string;
  locale?: string;
}

export const HOST_FIELDS: readonly (keyof HostOverrides)[] = [
  'command',
  'server',
  'predictionDisplay',
  'udpPortRange',
  'remoteNodePath',
  'locale',
];

export interface ResolvedHostSettings {
  values: HostOverrides;
  /** For each field set, the key of the entry it came from (for the log). */
  from: Partial<Record<keyof HostOverrides, string>>;
  /** Entries or fields that were ignored, in words for the log. */
  problems: string[];
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** Whether `key` (a comma- or space-separated pattern list, `!` to exclude) matches the target's host. */
export function hostKeyMatches(key: string, target: string): boolean {
  const parts = targetParts(target);
  const host = parts.host;
  const userHost = parts.user ? `${parts.user}@${host}` : host;
  const patterns = key.split(/[\s,]+/).filter(Boolean);
  let matched = false;
  for (const p of patterns) {
    const negated = p.startsWith('!');
    const pattern = negated ? p.slice(1) : p;
    if (!pattern) continue;
    const subject = pattern.includes('@') ? userHost : host;
    if (globToRegExp(pattern).test(subject)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** One field's value if it is of the right kind, else a problem in words. */
function checkField(
  field: keyof HostOverrides,
  value: unknown,
): { ok: true; value: HostOverrides[keyof HostOverrides] } | { ok: false; why: string } {
  switch (field) {
    case 'command':
      if (typeof value === 'string') return value.trim() ? { ok: true, value } : { ok: false, why: 'is empty' };
      if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string'))
        return { ok: true, value: value as string[] };
      return { ok: false, why: 'must be a command line (string) or a non-empty list of arguments (strings)' };
    case 'predictionDisplay':
      return typeof value === 'string' && (PREDICTION_MODES as readonly string[]).includes(value)
        ? { ok: true, value: value as PredictionMode }
        : { ok: false, why: `must be one of ${PREDICTION_MODES.join(', ')}` };
    default:
      return typeof value === 'string' ? { ok: true, value } : { ok: false, why: 'must be a string' };
  }
}

/** The mosh.hosts values that apply to `target`: the first matching entry wins, field by field. */
export function resolveHostSettings(hosts: unknown, target: string): ResolvedHostSettings {
  const out: ResolvedHostSettings = { values: {}, from: {}, problems: [] };
  if (hosts === undefined || hosts === null) return out;
  if (typeof hosts !== 'object' || Array.isArray(hosts)) {
    out.problems.push('mosh.hosts must be an object whose keys are host patterns');
    return out;
  }
  for (const [key, entry] of Object.entries(hosts as Record<string, unknown>)) {
    if (!hostKeyMatches(key, target)) continue;
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      out.problems.push(`mosh.hosts["${key}"] must be an object`);
      continue;
    }
    for (const [field, value] of Object.entries(entry as Record<string, unknown>)) {
      if (!(HOST_FIELDS as readonly string[]).includes(field)) {
        out.problems.push(`mosh.hosts["${key}"].${field} is not a per-host setting (known: ${HOST_FIELDS.join(', ')})`);
        continue;
      }
      const f = field as keyof HostOverrides;
      if (f in out.values) continue; // an earlier entry set it
      const checked = checkField(f, value);
      if (!checked.ok) {
        out.problems.push(`mosh.hosts["${key}"].${field} ${checked.why}`);
        continue;
      }
      (out.values as Record<string, unknown>)[f] = checked.value;
      out.from[f] = key;
    }
  }
  return out;
}

/** The global settings that a mosh.hosts entry may override (a subset of MoshSettings). */
export interface OverridableSettings {
  server: string;
  predictionDisplay: PredictionMode;
  udpPortRange: string;
  remoteNodePath: string;
  locale: string;
}

/** `global` with the per-host values for `target` applied; the command is returned beside it. */
export function applyHostSettings<T extends OverridableSettings>(
  global: T,
  hosts: unknown,
  target: string,
): { settings: T; command?: CommandSpec; resolved: ResolvedHostSettings } {
  const resolved = resolveHostSettings(hosts, target);
  const { command, ...rest } = resolved.values;
  return { settings: { ...global, ...rest }, command, resolved };
}
