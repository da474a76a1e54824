// A checker for the display differ's output vocabulary (newframe.ts header): an allowlist, so anything that
// could make a terminal answer (DA, DSR, DECRQM, DECRQSS, OSC colour or clipboard queries, ENQ, DECID) or turn
// on origin mode is reported. Tests run it on every diff (a stock mosh-client aborts on replies and on
// origin mode). Test support only.
// Not a terminal parser: it only classifies the sequences newFrame can produce.

const PRIVATE_MODES = new Set([1, 5, 9, 25, 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1015, 1016, 1049, 2004, 2026]);

function describe(s: string): string {
  return JSON.stringify(s.length > 40 ? s.slice(0, 40) + '...' : s);
}

/** The first sequence in `output` that is outside the differ's vocabulary, described; null if there is none. */
export function findForbiddenSequence(output: string): string | null {
  const n = output.length;
  let i = 0;
  while (i < n) {
    const c = output.charCodeAt(i);
    if (c >= 0x20 && c !== 0x7f && (c < 0x80 || c >= 0xa0)) {
      i++;
      continue;
    }
    if (c === 0x07 || c === 0x08 || c === 0x0a || c === 0x0d) {
      i++;
      continue;
    }
    if (c !== 0x1b) return `control character 0x${c.toString(16)} at ${i}`;
    const kind = output[i + 1];
    if (kind === '=' || kind === '>') {
      i += 2;
      continue;
    }
    if (kind === '[') {
      let j = i + 2;
      const priv = output[j] === '?';
      if (priv) j++;
      const start = j;
      while (j < n && /[0-9;:]/.test(output[j])) j++;
      const params = output.slice(start, j);
      const space = !priv && output[j] === ' ';
      if (space) j++;
      const final = output[j];
      const seq = output.slice(i, j + 1);
      if (final === undefined) return `unterminated CSI ${describe(seq)}`;
      let ok = false;
      if (space) {
        ok = final === 'q' && /^[0-6]$/.test(params); // DECSCUSR
      } else if (priv) {
        if ((final === 'h' || final === 'l') && /^\d+$/.test(params)) ok = PRIVATE_MODES.has(Number(params));
      } else {
        switch (final) {
          case 'm':
            ok = true;
            break;
          case 'H':
            ok = /^(\d+(;\d+)?)?$/.test(params);
            break;
          case 'C':
          case 'X':
            ok = /^\d*$/.test(params);
            break;
          case 'K':
            ok = params === '';
            break;
          case 'J':
            ok = params === '2';
            break;
          case 'r':
            ok = /^(\d+;\d+)?$/.test(params);
            break;
        }
      }
      if (!ok) return `CSI sequence ${describe(seq)}`;
      i = j + 1;
      continue;
    }
    if (kind === ']') {
      const end = output.indexOf('\x07', i + 2);
      if (end < 0) return `unterminated OSC at ${i}`;
      const body = output.slice(i + 2, end);
      const semi = body.indexOf(';');
      const ps = semi < 0 ? body : body.slice(0, semi);
      const text = semi < 0 ? '' : body.slice(semi + 1);
      if (ps === '0' || ps === '1' || ps === '2') {
        // eslint-disable-next-line no-control-regex
        if (/[\x00-\x1f\x7f-\x9f]/.test(text)) return `control character in title OSC ${describe(body)}`;
      } else if (ps === '52') {
        if (!/^c;[A-Za-z0-9+/=]*$/.test(text)) return `OSC 52 other than setting the clipboard ${describe(body)}`;
      } else {
        return `OSC ${describe(body)}`;
      }
      i = end + 1;
      continue;
    }
    return `escape sequence ${describe(output.slice(i, i + 2))}`;
  }
  return null;
}
