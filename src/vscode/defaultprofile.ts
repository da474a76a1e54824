// mosh.defaultInRemoteSsh, decided: in a Remote-SSH window whose user wants mosh panels by default, the window's
// workspace settings name the contributed "Mosh" profile as the default terminal profile
// (terminal.integrated.defaultProfile.linux/.osx; VS Code reads the key of the remote's OS, and finds contributed
// profiles by title). What was there before is remembered (in workspaceState) and put back when the setting is
// turned off. A value the user changed after we wrote ours is left alone. Pure: inputs in, updates out; the
// writing is profilesetting.ts'.

/** The contributed profile's title (package.json contributes.terminal.profiles). */
export const MOSH_PROFILE_TITLE = 'Mosh';
/** Settings under terminal.integrated; Windows hosts are not mosh hosts. */
export const DEFAULT_PROFILE_KEYS = ['defaultProfile.linux', 'defaultProfile.osx'] as const;

/** For each key we wrote: the workspace value it had before (undefined: none). */
export type WrittenProfiles = Record<string, { previous: unknown }>;

export interface ProfileInputs {
  inRemoteSsh: boolean;
  /** mosh.defaultInRemoteSsh */
  wanted: boolean;
  /** The workspace-level value of each key (inspect().workspaceValue). */
  workspaceValues: Record<string, unknown>;
  written: WrittenProfiles;
}

export interface ProfilePlan {
  /** Workspace-level writes: value undefined removes the key. */
  updates: { key: string; value: unknown }[];
  /** What to remember as written from now on. */
  written: WrittenProfiles;
}

export function planDefaultProfile(i: ProfileInputs): ProfilePlan {
  const updates: ProfilePlan['updates'] = [];
  const written: WrittenProfiles = { ...i.written };
  if (!i.inRemoteSsh) return { updates, written };
  if (i.wanted) {
    for (const key of DEFAULT_PROFILE_KEYS) {
      if (key in written) continue; // ours already, or changed by the user since: theirs to keep
      if (i.workspaceValues[key] === MOSH_PROFILE_TITLE) continue; // set by the user: not ours to undo
      written[key] = { previous: i.workspaceValues[key] };
      updates.push({ key, value: MOSH_PROFILE_TITLE });
    }
  } else {
    for (const [key, w] of Object.entries(written)) {
      if (i.workspaceValues[key] === MOSH_PROFILE_TITLE) updates.push({ key, value: w.previous });
      delete written[key];
    }
  }
  return { updates, written };
}
