// Translates the user's keystrokes before they reach the application (mosh-protocol.md section 7.1): the stock
// client keeps the user's terminal in application-cursor-key mode, so arrows arrive as ESC O A..D; unless the
// application asked for that mode (DECCKM), they are rewritten to ESC [ A..D. A tiny state machine that survives
// sequences split across writes. Everything else passes through unchanged.

const ESC = 0x1b;
const SS3 = 0x4f; // 'O'

export class KeyTranslator {
  private state: 'ground' | 'esc' | 'ss3' = 'ground';

  /** Returns the bytes to write to the pty for `input`, given whether the application enabled DECCKM. */
  translate(input: Uint8Array, applicationCursorKeys: boolean): Buffer {
    const out: number[] = [];
    for (const b of input) {
      switch (this.state) {
        case 'ground':
          out.push(b);
          if (b === ESC) this.state = 'esc';
          break;
        case 'esc':
          if (b === SS3) {
            this.state = 'ss3';
          } else {
            out.push(b);
            this.state = b === ESC ? 'esc' : 'ground';
          }
          break;
        case 'ss3':
          if (!applicationCursorKeys && b >= 0x41 && b <= 0x44)
            out.push(0x5b, b); // ESC [ A..D
          else out.push(SS3, b);
          this.state = b === ESC ? 'esc' : 'ground';
          break;
      }
    }
    return Buffer.from(out);
  }

  /** Bytes held back at the end of input (a lone ESC O), to be flushed if nothing follows. */
  pending(): Buffer {
    return this.state === 'ss3' ? Buffer.from([SS3]) : Buffer.alloc(0);
  }
}
