// A large text file for throughput runs: numbered lines of 20 to 130 characters of words, the same every time.
// Lives in bench/lib/ so `npm run bench` does not list it.
import { createWriteStream } from 'node:fs';

export async function makeTextFile(path: string, bytes: number): Promise<void> {
  const out = createWriteStream(path);
  let written = 0;
  let n = 0;
  const words = [
    'alpha',
    'bravo',
    'charlie',
    'delta',
    'echo',
    'foxtrot',
    'golf',
    'hotel',
    'india',
    'juliet',
    'kilo',
    'lima',
  ];
  while (written < bytes) {
    let chunk = '';
    for (let i = 0; i < 1000; i++, n++) {
      const len = 20 + ((n * 7919) % 110);
      let line = `${n} `;
      while (line.length < len) line += words[(n + line.length) % words.length] + ' ';
      chunk += line + '\n';
    }
    written += chunk.length;
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(r));
}
