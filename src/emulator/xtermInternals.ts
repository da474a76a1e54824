// The one place that reaches into @xterm/headless internals (v6). Everything else in src/emulator/ goes through
// the small typed surface below, so an xterm upgrade that moves these fields breaks here, loudly, at construction.
// It is not a terminal model and holds no state of its own.
//
// What we use, and why:
// - `_core.writeSync(data)`: synchronous parsing. The public `write()` queues the bytes and parses them on a later
//   tick; the server and the client need "bytes in, screen updated" in one call. `writeSync` is what xterm's own
//   tests use; it is marked deprecated/"unreliable" only for the case of async parser handlers (we register none)
//   and for re-entrant calls from inside handlers (we make none). The log warning is silenced by `logLevel: 'off'`.
// - `_core.buffer.lines.get(ybase + y)`: the BufferLine objects, for their raw cell words (`_data`, 3 x uint32 per
//   cell), combined strings (`_combined`) and extended attributes (`_extendedAttrs`). Comparing raw words against a
//   cached copy is how a snapshot finds, in microseconds, which rows changed since the last one.
// - `_core.buffers.{normal,alt}`: xterm 6 resizes an inactive (empty) alternate buffer without shrinking its
//   line capacity; the alternate screen then grows scrollback, and a later resize can leave the viewport past
//   the end of the line list (LF then throws). `repairAfterResize` fixes the capacity; `consistent` detects
//   anything else of the kind, so the Emulator can rebuild itself from a snapshot instead of crashing.
// - `_core.coreService.isCursorHidden`: DECTCEM state (not in the public API).
// - `_core.unicodeService.wcwidth`: the active width table, to classify odd cells when decoding.
// - `_core._inputHandler._curAttrData`: the current SGR state (the "pen"), which a mosh state carries.
// - `_core._inputHandler.registerCsiHandler`: like the public parser API, but the callback gets the live Params
//   object, so a guard can clamp a parameter before xterm's own handler runs (see emulator.ts).
// - `_core._inputHandler._parser.currentState`: whether the parser is in its ground state (Emulator.writeBulk may
//   skip text only then; inside an unterminated OSC, say, text is not printed).
// - `_core._inputHandler._parser.{registerOscHandler,clearOscHandler}` with a raw start/put/end handler: the
//   public API buffers every OSC payload up to 10 M characters per handler before calling back; a sink with its
//   own small cap keeps a hostile unterminated title from costing tens of MiB.
import type { Terminal } from '@xterm/headless';

/** Extended attributes of one cell (underline style and colour live here). */
export interface RawExtended {
  readonly _ext?: number;
  readonly ext: number;
  readonly urlId: number;
}

/** One xterm BufferLine, as stored. */
export interface RawLine {
  isWrapped: boolean;
  readonly length: number;
  readonly _data: Uint32Array;
  readonly _combined: { [index: number]: string };
  readonly _extendedAttrs: { [index: number]: RawExtended | undefined };
}

export interface RawParams {
  length: number;
  params: Int32Array;
}

export interface RawBuffer {
  readonly x: number;
  readonly y: number;
  readonly ybase: number;
  readonly scrollTop: number;
  readonly scrollBottom: number;
  readonly lines: { get(index: number): RawLine | undefined; readonly length: number; maxLength: number };
}

interface RawCore {
  writeSync(data: string | Uint8Array): void;
  readonly buffer: RawBuffer;
  readonly buffers: { readonly active: RawBuffer; readonly normal: RawBuffer; readonly alt: RawBuffer };
  readonly coreService: { isCursorHidden: boolean; decPrivateModes: { origin: boolean } };
  readonly unicodeService: { wcwidth(codepoint: number): number };
  readonly _inputHandler: {
    _curAttrData: { fg: number; bg: number; extended: RawExtended };
    registerCsiHandler(
      id: { prefix?: string; intermediates?: string; final: string },
      callback: (params: RawParams) => boolean,
    ): { dispose(): void };
    _parser: {
      /** The parser's state; 0 is GROUND (not inside an escape sequence or a control string). */
      currentState: number;
      registerOscHandler(ident: number, handler: RawOscHandler): { dispose(): void };
      clearOscHandler(ident: number): void;
    };
  };
}

interface RawOscHandler {
  start(): void;
  put(data: Uint32Array, start: number, end: number): void;
  end(success: boolean): boolean;
}

/** Typed access to the internals listed in the header. Throws at construction if any is missing. */
export class XtermInternals {
  private readonly core: RawCore;

  constructor(term: Terminal) {
    const core = (term as unknown as { _core?: RawCore })._core;
    const ok =
      core !== undefined &&
      typeof core.writeSync === 'function' &&
      core.buffer !== undefined &&
      core.buffers?.alt !== undefined &&
      core.buffers?.normal !== undefined &&
      typeof core.buffer.lines?.get === 'function' &&
      core.coreService !== undefined &&
      typeof core.unicodeService?.wcwidth === 'function' &&
      typeof core.coreService.isCursorHidden === 'boolean' &&
      core._inputHandler !== undefined &&
      core._inputHandler._curAttrData !== undefined &&
      typeof core._inputHandler.registerCsiHandler === 'function' &&
      typeof core._inputHandler._parser?.registerOscHandler === 'function' &&
      typeof core._inputHandler._parser?.currentState === 'number' &&
      typeof core._inputHandler._parser?.clearOscHandler === 'function';
    if (!ok) throw new Error('@xterm/headless internals changed: src/emulator/xtermInternals.ts needs updating');
    const line = core.buffer.lines.get(core.buffer.ybase);
    if (!line || !(line._data instanceof Uint32Array) || typeof line._combined !== 'object') {
      throw new Error('@xterm/headless BufferLine layout changed: src/emulator/xtermInternals.ts needs updating');
    }
    this.core = core;
  }

  /** Parses `data` completely before returning. */
  writeSync(data: string | Uint8Array): void {
    this.core.writeSync(data);
  }

  /** The active buffer (normal or alternate); re-read it after every write, it changes on 1049h/l and reset. */
  get buffer(): RawBuffer {
    return this.core.buffer;
  }

  get cursorHidden(): boolean {
    return this.core.coreService.isCursorHidden;
  }

  /** Line feeds at the bottom row scroll the whole screen: no scroll region set, and origin mode off. */
  get scrollsWholeScreen(): boolean {
    const b = this.core.buffer;
    return b.scrollTop === 0 && b.scrollBottom === this.rowsOf(b) - 1 && !this.core.coreService.decPrivateModes.origin;
  }

  /** The normal (not the alternate) buffer is shown. */
  get onNormalBuffer(): boolean {
    return this.core.buffers.active === this.core.buffers.normal;
  }

  /** The parser is in its ground state: the next printable byte is printed (not part of a sequence or string). */
  get parserAtGround(): boolean {
    return this.core._inputHandler._parser.currentState === 0;
  }

  private rowsOf(b: RawBuffer): number {
    return b.lines.length - b.ybase;
  }

  get pen(): { fg: number; bg: number; extended: RawExtended } {
    return this.core._inputHandler._curAttrData;
  }

  /** Registers a CSI guard that sees (and may edit) the live params before xterm's handler; return false to go on. */
  registerCsiGuard(id: { prefix?: string; intermediates?: string; final: string }, guard: (params: RawParams) => boolean): void {
    this.core._inputHandler.registerCsiHandler(id, guard);
  }

  /**
   * Replaces every handler of OSC `ident` (xterm's own included) with `onEnd`, called with the payload when the
   * OSC ends. A payload longer than `limit` characters gives its first `limit` characters if `truncate`, else
   * null. Only `limit` characters are ever held.
   */
  replaceOscHandler(ident: number, limit: number, truncate: boolean, onEnd: (data: string | null) => void): void {
    const parser = this.core._inputHandler._parser;
    parser.clearOscHandler(ident);
    let parts: string[] = [];
    let length = 0;
    let over = false;
    parser.registerOscHandler(ident, {
      start() {
        parts = [];
        length = 0;
        over = false;
      },
      put(data, start, end) {
        if (over) return;
        if (length + end - start > limit) {
          over = true;
          if (!truncate) {
            parts = [];
            return;
          }
          end = start + (limit - length);
        }
        length += end - start;
        for (let i = start; i < end; i += 4096) {
          parts.push(String.fromCodePoint(...data.subarray(i, Math.min(end, i + 4096))));
        }
      },
      end(success) {
        if (success) onEnd(over && !truncate ? null : parts.join(''));
        parts = [];
        return true;
      },
    });
  }

  /** Call after every resize: gives an inactive, empty alternate buffer the capacity of the new screen. */
  repairAfterResize(rows: number): void {
    const { active, alt } = this.core.buffers;
    if (active !== alt && alt.lines.length === 0 && alt.lines.maxLength !== rows) alt.lines.maxLength = rows;
  }

  /** False if the active buffer's viewport does not fit its line list (an xterm bug state). */
  consistent(rows: number): boolean {
    const { active, alt } = this.core.buffers;
    const lines = active.lines;
    if (active.ybase < 0 || active.ybase + rows > lines.length || lines.length > lines.maxLength) return false;
    if (active === alt && (active.ybase !== 0 || lines.maxLength !== rows)) return false;
    return true;
  }

  /** Width of a code point in the active width table. */
  wcwidth(codepoint: number): number {
    return this.core.unicodeService.wcwidth(codepoint);
  }
}
