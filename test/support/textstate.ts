// A minimal SyncState for transport tests: a string. The diff is either "append suffix" or "replace all",
// so tests can see exactly which base a diff was made from. Not used outside tests.

import type { SyncState } from '../../src/transport/state';

export class TextState implements SyncState<TextState> {
  constructor(public text = '') {}

  diffFrom(older: TextState): Uint8Array {
    if (this.text === older.text) return new Uint8Array(0);
    if (this.text.startsWith(older.text)) return Buffer.from('A' + this.text.slice(older.text.length));
    return Buffer.from('R' + this.text);
  }

  initDiff(): Uint8Array {
    return this.diffFrom(new TextState());
  }

  apply(diff: Uint8Array): void {
    const s = Buffer.from(diff).toString();
    if (s[0] === 'A') this.text += s.slice(1);
    else if (s[0] === 'R') this.text = s.slice(1);
    else throw new Error('bad TextState diff');
  }

  equals(other: TextState): boolean {
    return this.text === other.text;
  }

  clone(): TextState {
    return new TextState(this.text);
  }
}
