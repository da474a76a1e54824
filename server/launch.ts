// How the foreground process starts the session process (main.ts): the session process's Node flags, its
// environment and the config it is handed. Constants and types only.

import type { ServerArgs } from './args';

export const VERSION = 'vscode-mosh server 0.1.0 (mosh protocol 2, compatible with mosh 1.4)';
export const DAEMON_FLAG = '--vscode-mosh-daemon';

/**
 * V8 settings for the long-lived session process (measured with `npm run bench -- throughput`):
 * - a small young generation (1 MiB semi-spaces): a bigger one is committed memory that a flood keeps resident,
 *   and what a flood allocates dies young or is promoted whatever its size;
 * - no background threads for V8's own work (GC marking and sweeping, optimizing compiles run on the main
 *   thread): the machine's other cores are the shell's, and a worker's allocations would stay in memory of their
 *   own (about 0.5-1 MiB less private memory in a flood, no measurable cost in time);
 * - `gc` exposed, for HeapGuard (src/common/heapguard.ts), which collects sooner than V8 would in output floods.
 * None limits the heap: no screen size or session length can run the process out of memory by these settings.
 * All exist in every Node >= 18 (an unknown V8 flag would stop node from starting).
 */
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=1', '--single-threaded', '--v8-pool-size=1', '--expose-gc'];

/**
 * Environment for the session process only (the user's own values are restored for the shell), for glibc's
 * malloc (other C libraries ignore it): one arena, so memory another thread freed is reused instead of kept in
 * an arena of its own; no top padding and a fixed 128 KiB trim threshold (which also keeps the mmap threshold
 * at 128 KiB), so freed memory at the top of the heap goes back to the system. About 1-2 MiB less private
 * memory, idle and in a flood; no measurable cost in time.
 */
export const DAEMON_ENV: Record<string, string> = {
  MALLOC_ARENA_MAX: '1',
  MALLOC_TOP_PAD_: '0',
  MALLOC_TRIM_THRESHOLD_: '131072',
};

export interface DaemonConfig {
  args: ServerArgs;
  env: Record<string, string>;
  /** The user's values of the DAEMON_ENV variables (null: unset), for the shell. */
  userEnv: Record<string, string | null>;
  cols: number;
  rows: number;
}
