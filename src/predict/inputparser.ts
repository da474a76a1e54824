// The keystroke parser of the prediction engine (mosh-protocol.md 9.6): UTF-8 decoding plus a DEC-style VT
// parser that turns the bytes a user types into Print / Execute / Esc_Dispatch / CSI_Dispatch actions.
// It keeps only what prediction needs (no parameters, no string contents) and never touches a screen.
// Not the terminal emulator's parser (that is xterm's, in src/emulator/).

export type InputAction =
  | { readonly type: 'print'; readonly ch: number }
  | { readonly type: 'execute'; readonly ch: number }
  | { readonly type: 'esc'; readonly final: number }
  | { readonly type: 'csi'; readonly final: number; readonly private: boolean; readonly intermediates: boolean };

type State = 'ground' | 'escape' | 'escInter' | 'csiEntry' | 'csiParam' | 'csiInter' | 'csiIgnore' | 'osc' | 'str';

/** Plain-data parser state (saved and restored with the engine). */
export interface InputParserState {
  state: State;
  /** UTF-8 sequence being decoded: code point so far and bytes still expected. */
  utf8: number;
  utf8Need: number;
  utf8Min: number;
  privateMarker: boolean;
  intermediates: boolean;
  /** An ESC was seen inside a string (OSC/DCS/SOS/PM/APC): a following '\' ends it. */
  strEsc: boolean;
}

export function initialParserState(): InputParserState {
  return {
    state: 'ground',
    utf8: 0,
    utf8Need: 0,
    utf8Min: 0,
    privateMarker: false,
    intermediates: false,
    strEsc: false,
  };
}

/** Feeds one byte; returns the actions it completes (usually zero or one). */
export function parseByte(s: InputParserState, byte: number): InputAction[] {
  const out: InputAction[] = [];
  // UTF-8 decoding first.
  if (s.utf8Need > 0) {
    if ((byte & 0xc0) === 0x80) {
      s.utf8 = (s.utf8 << 6) | (byte & 0x3f);
      if (--s.utf8Need > 0) return out;
      const cp = s.utf8;
      const ok = cp >= s.utf8Min && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
      parseCodePoint(s, ok ? cp : 0xfffd, out);
      return out;
    }
    // truncated sequence: replacement character, then this byte on its own
    s.utf8Need = 0;
    parseCodePoint(s, 0xfffd, out);
  }
  if (byte < 0x80) parseCodePoint(s, byte, out);
  else if ((byte & 0xe0) === 0xc0) startUtf8(s, byte & 0x1f, 1, 0x80);
  else if ((byte & 0xf0) === 0xe0) startUtf8(s, byte & 0x0f, 2, 0x800);
  else if ((byte & 0xf8) === 0xf0) startUtf8(s, byte & 0x07, 3, 0x10000);
  else parseCodePoint(s, 0xfffd, out);
  return out;
}

function startUtf8(s: InputParserState, bits: number, need: number, min: number): void {
  s.utf8 = bits;
  s.utf8Need = need;
  s.utf8Min = min;
}

function clearSequence(s: InputParserState): void {
  s.privateMarker = false;
  s.intermediates = false;
}

function parseCodePoint(s: InputParserState, cp: number, out: InputAction[]): void {
  // Transitions from anywhere.
  if (cp === 0x18 || cp === 0x1a) {
    s.state = 'ground';
    out.push({ type: 'execute', ch: cp });
    return;
  }
  if (cp === 0x1b) {
    if (s.state === 'osc' || s.state === 'str') {
      s.strEsc = true;
      return;
    }
    s.state = 'escape';
    clearSequence(s);
    return;
  }
  if (s.state === 'osc' || s.state === 'str') {
    // strings end with ST (ESC \ or 0x9C), or BEL for OSC
    if ((s.strEsc && cp === 0x5c) || cp === 0x9c || (s.state === 'osc' && cp === 0x07)) s.state = 'ground';
    else if (s.strEsc) {
      // ESC + something else: the string is abandoned and that ESC starts a new sequence
      s.strEsc = false;
      s.state = 'escape';
      clearSequence(s);
      parseCodePoint(s, cp, out);
      return;
    }
    s.strEsc = false;
    return;
  }
  // C1 controls (as code points).
  if (cp >= 0x80 && cp < 0xa0) {
    clearSequence(s);
    if (cp === 0x9b) s.state = 'csiEntry';
    else if (cp === 0x9d) s.state = 'osc';
    else if (cp === 0x90 || cp === 0x98 || cp === 0x9e || cp === 0x9f) s.state = 'str';
    else {
      s.state = 'ground';
      if (cp !== 0x9c) out.push({ type: 'execute', ch: cp });
    }
    s.strEsc = false;
    return;
  }
  // C0 controls execute in every other state without changing it.
  if (cp < 0x20) {
    out.push({ type: 'execute', ch: cp });
    return;
  }
  // Characters beyond ASCII act like an ordinary final/printable character outside the ground state.
  const c = cp >= 0xa0 ? 0x41 : cp;
  switch (s.state) {
    case 'ground':
      out.push({ type: 'print', ch: cp });
      return;
    case 'escape':
      if (c === 0x7f) return;
      if (c >= 0x20 && c <= 0x2f) {
        s.intermediates = true;
        s.state = 'escInter';
      } else if (c === 0x5b) {
        s.state = 'csiEntry';
      } else if (c === 0x5d) {
        s.state = 'osc';
        s.strEsc = false;
      } else if (c === 0x50 || c === 0x58 || c === 0x5e || c === 0x5f) {
        s.state = 'str';
        s.strEsc = false;
      } else {
        s.state = 'ground';
        out.push({ type: 'esc', final: cp });
      }
      return;
    case 'escInter':
      if (c === 0x7f) return;
      if (c >= 0x20 && c <= 0x2f) return;
      s.state = 'ground';
      out.push({ type: 'esc', final: cp });
      return;
    case 'csiEntry':
    case 'csiParam':
      if (c === 0x7f) return;
      if ((c >= 0x30 && c <= 0x39) || c === 0x3b || c === 0x3a) {
        s.state = 'csiParam';
        return;
      }
      if (c >= 0x3c && c <= 0x3f) {
        if (s.state === 'csiEntry') s.privateMarker = true;
        else s.state = 'csiIgnore';
        return;
      }
      if (c >= 0x20 && c <= 0x2f) {
        s.intermediates = true;
        s.state = 'csiInter';
        return;
      }
      s.state = 'ground';
      out.push({ type: 'csi', final: cp, private: s.privateMarker, intermediates: s.intermediates });
      return;
    case 'csiInter':
      if (c === 0x7f || (c >= 0x20 && c <= 0x2f)) return;
      if (c >= 0x30 && c <= 0x3f) {
        s.state = 'csiIgnore';
        return;
      }
      s.state = 'ground';
      out.push({ type: 'csi', final: cp, private: s.privateMarker, intermediates: true });
      return;
    case 'csiIgnore':
      if (c >= 0x40 && c <= 0x7e) s.state = 'ground';
      return;
  }
}
