// Text that comes from the remote host (the ssh banner, keyboard-interactive names, instructions and prompts,
// disconnect reasons, the remote output quoted in our errors and logs) made safe to print outside the terminal
// stream, as OpenSSH does: escape sequences and control characters are removed, so a hostile server cannot
// move the cursor, retitle the window, hide text or fake lines of our own. Newlines and tabs are kept where a
// text may have several lines. Not the terminal session's output (that goes through the emulator).

/** ESC-introduced sequences: CSI (ESC [ ... final), OSC/DCS/SOS/PM/APC strings (up to BEL or ST), and 2-byte ones. */
/* eslint-disable no-control-regex -- matching control characters is the point */
const ESCAPES =
  /\x1b(?:\[[0-?]*[ -/]*[@-~]?|[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -/]*[0-~]?)|\x9b[0-?]*[ -/]*[@-~]?|[\x90\x9d\x98\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x9c|\x1b\\)?/g;
/* eslint-enable no-control-regex */

/** Everything invisible or active that is left: C0 (but \t, \n), DEL, C1, and format characters (bidi overrides...). */
const CONTROLS_KEEP_LINES = /[^\P{Cc}\t\n]|[\p{Cf}\p{Zl}\p{Zp}]/gu;
const CONTROLS_ONE_LINE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

export interface CleanOptions {
  /** Keep newlines and tabs (default true); false turns them into spaces, for one-line texts. */
  multiline?: boolean;
}

/** Remote text without escape sequences and control characters (CRLF becomes LF). */
export function cleanRemoteText(text: string, o: CleanOptions = {}): string {
  const s = text.replace(/\r\n/g, '\n').replace(ESCAPES, '');
  if (o.multiline ?? true) return s.replace(CONTROLS_KEEP_LINES, '');
  return s.replace(/[\t\n]/g, ' ').replace(CONTROLS_ONE_LINE, '');
}
