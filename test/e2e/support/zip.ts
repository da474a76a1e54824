// Reads a .vsix (a zip file) with node:zlib only: the entry list from the central directory, and the entries'
// bytes (stored or deflated). Enough for the packaging tests; no zip64, no encryption.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  size: number;
  compressedSize: number;
  /** Unix permission bits (0 when the archive recorded none). */
  mode: number;
  method: number;
  localHeaderOffset: number;
}

export function zipEntries(zip: Buffer): ZipEntry[] {
  // End of central directory: signature 0x06054b50, searched backwards over the comment (< 64 KiB)
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const out: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error(`bad central directory entry at ${p}`);
    const madeBy = zip.readUInt16LE(p + 4) >> 8;
    const method = zip.readUInt16LE(p + 10);
    const compressedSize = zip.readUInt32LE(p + 20);
    const size = zip.readUInt32LE(p + 24);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const external = zip.readUInt32LE(p + 38);
    const localHeaderOffset = zip.readUInt32LE(p + 42);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLen);
    out.push({
      name,
      size,
      compressedSize,
      method,
      localHeaderOffset,
      mode: madeBy === 3 ? (external >>> 16) & 0o7777 : 0,
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

export function zipRead(zip: Buffer, e: ZipEntry): Buffer {
  const p = e.localHeaderOffset;
  if (zip.readUInt32LE(p) !== 0x04034b50) throw new Error(`bad local header for ${e.name}`);
  const start = p + 30 + zip.readUInt16LE(p + 26) + zip.readUInt16LE(p + 28);
  const raw = zip.subarray(start, start + e.compressedSize);
  if (e.method === 0) return Buffer.from(raw);
  if (e.method === 8) return inflateRawSync(raw);
  throw new Error(`${e.name}: unsupported compression method ${e.method}`);
}

/** Extracts every file entry under dir (keeping Unix modes); returns the entries. */
export function unzipTo(file: string, dir: string): ZipEntry[] {
  const zip = readFileSync(file);
  const root = resolve(dir);
  const entries = zipEntries(zip);
  for (const e of entries) {
    if (e.name.endsWith('/')) continue;
    const dest = resolve(root, e.name);
    if (!dest.startsWith(root + sep)) throw new Error(`zip entry outside the target folder: ${e.name}`);
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, zipRead(zip, e));
    if (e.mode) chmodSync(dest, e.mode);
  }
  return entries;
}
