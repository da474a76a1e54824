// Test support for fuzz.test.ts: random bytes and hostile terminal input (huge and numerous parameters,
// unterminated and nested sequences, giant OSC/DCS strings, invalid UTF-8, mode and reset storms).
import { int, pick, randomChunk, type Rand } from './generators';

export function randomBytes(r: Rand, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    const v = (r() * 4294967296) >>> 0;
    b[i] = v;
    b[i + 1] = v >>> 8;
    b[i + 2] = v >>> 16;
    b[i + 3] = v >>> 24;
  }
  return b;
}

const INVALID_UTF8 = [
  [0xc0, 0x80],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xff],
  [0xe2, 0x82],
  [0xf4, 0x90, 0x80, 0x80],
  [0x80, 0x80, 0x80],
  [0xc3],
  [0xf0, 0x9f, 0x98],
];

/** One hostile piece of input, as a string of code units 0-255 (so it can carry raw bytes too). */
export function hostile(r: Rand, cols: number, rows: number): Uint8Array {
  const k = r();
  let s: string;
  if (k < 0.15) {
    const p = pick(r, ['2147483647', '4294967296', '99999999999999999999', '0', '']);
    s = `\x1b[${p};${p}${pick(r, ['H', 'X', 'K', 'J', 'r', 'L', 'M', 'S', 'T', '@', 'P', 'b', 'I', 'Z', 'A', 'G', 'd', 'm', 't', 'g', 'n', 'c'])}`;
    if (k < 0.03) s = 'x' + s;
  } else if (k < 0.25) {
    s = `\x1b[${'1;'.repeat(int(r, 20000))}${pick(r, ['m', 'H', 'r', 'h'])}`;
  } else if (k < 0.32) {
    s = `\x1b[${'38:2:1:2:3:'.repeat(int(r, 3000))}m`;
  } else if (k < 0.38) {
    const n = int(r, 20) === 0 ? 1 + int(r, 4 * 1024 * 1024) : int(r, 20000);
    s = `\x1b]${pick(r, ['0', '1', '2', '52;c', '8;;', '4;1', '777', '1337'])};${'A'.repeat(n)}${pick(r, ['\x07', '\x1b\\', ''])}`;
  } else if (k < 0.42) {
    s = `\x1bP${pick(r, ['$q', '+q', '1;1|', 'q'])}${'B'.repeat(int(r, int(r, 10) === 0 ? 200000 : 5000))}${pick(r, ['\x1b\\', ''])}`;
  } else if (k < 0.5) {
    s = '';
    for (let i = 0; i < 200; i++)
      s += pick(r, [
        '\x1b[',
        '\x1b]',
        '\x1bP',
        '\x1b',
        '\x9b',
        '\x9d',
        '\x90',
        '\x18',
        '\x1a',
        ';',
        '?',
        '$',
        '>',
        '\x07',
        '\x1b\\',
        'q',
        'm',
      ]);
  } else if (k < 0.58) {
    const parts: number[] = [];
    for (let i = 0; i < 500; i++) {
      if (r() < 0.5) parts.push(...pick(r, INVALID_UTF8));
      else parts.push(0x20 + int(r, 95));
    }
    return Uint8Array.from(parts);
  } else if (k < 0.66) {
    s = `\x1b[?${pick(r, ['1049', '47', '1047', '6', '7', '69', '2026', '1000', '1006', '5', '25', '66', '2004'])}${r() < 0.5 ? 'h' : 'l'}`;
    s += pick(r, [
      '\x1b[1;2r',
      '\x1b[?6h\x1b[5;10r\x1b[H',
      '\x1b#8',
      '\x1bc',
      '\x1b[!p',
      '\x1b[4h',
      '\x1b(0',
      '\x1b)0\x0e',
      '\x0f',
    ]);
  } else {
    s = '';
    for (let i = 0; i < 40; i++) s += randomChunk(r, cols, rows);
    return new Uint8Array(Buffer.from(s, 'utf8'));
  }
  return new Uint8Array(Buffer.from(s, 'latin1'));
}
