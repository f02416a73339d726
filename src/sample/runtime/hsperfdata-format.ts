/**
 * HotSpot's performance data file (hsperfdata), the counters jstat reads, parsed with no JDK.
 * Layout from HotSpot's perfMemory.hpp / perfData.hpp (format version 2):
 *
 *   prologue (32 bytes): magic 0xcafec0c0 (always big-endian on disk), byte order (0 big,
 *   1 little), major, minor, accessible, used, overflow, mod time stamp, entry offset, entries
 *   entry: length, name offset, vector length, type ('J' long, 'B' byte), flags, units,
 *   variability, data offset — all relative to the entry's start; names end with a NUL.
 *
 * Vectors of 'B' are strings (NUL-padded); a scalar 'J' is a 64-bit count. Other types are
 * skipped: HotSpot writes none of them today.
 */

export const HSPERF_MAGIC = 0xcafec0c0;
const PROLOGUE_BYTES = 32;
const ENTRY_HEADER_BYTES = 20;

export type PerfValue = bigint | string;

export interface PerfData {
  majorVersion: number;
  minorVersion: number;
  /** False until the JVM finished writing the file's first entries. */
  accessible: boolean;
  entries: Map<string, PerfValue>;
}

export class PerfDataFormatError extends Error {}

export function parsePerfData(buf: Buffer): PerfData {
  if (buf.length < PROLOGUE_BYTES) throw new PerfDataFormatError(`${buf.length} bytes, shorter than the prologue`);
  const magic = buf.readUInt32BE(0);
  if (magic !== HSPERF_MAGIC)
    throw new PerfDataFormatError(`magic 0x${magic.toString(16)} where 0xcafec0c0 was expected`);
  const order = buf.readUInt8(4);
  if (order !== 0 && order !== 1) throw new PerfDataFormatError(`byte order ${order}, expected 0 or 1`);
  const le = order === 1;
  const i32 = (off: number): number => (le ? buf.readInt32LE(off) : buf.readInt32BE(off));
  const majorVersion = buf.readUInt8(5);
  const minorVersion = buf.readUInt8(6);
  if (majorVersion !== 2) throw new PerfDataFormatError(`format version ${majorVersion}.${minorVersion}, expected 2.x`);
  const accessible = buf.readUInt8(7) !== 0;
  const used = Math.min(i32(8), buf.length);
  const entryOffset = i32(24);
  const count = i32(28);

  const entries = new Map<string, PerfValue>();
  let at = entryOffset;
  for (let n = 0; n < count; n++) {
    if (at + ENTRY_HEADER_BYTES > used) throw new PerfDataFormatError(`entry ${n} at ${at} runs past ${used}`);
    const length = i32(at);
    if (length < ENTRY_HEADER_BYTES || at + length > used)
      throw new PerfDataFormatError(`entry ${n} at ${at} has length ${length}`);
    const name = cString(buf, at + i32(at + 4), at + length);
    const vectorLength = i32(at + 8);
    const type = String.fromCharCode(buf.readUInt8(at + 12));
    const data = at + i32(at + 16);
    if (vectorLength === 0 && type === 'J') entries.set(name, le ? buf.readBigInt64LE(data) : buf.readBigInt64BE(data));
    else if (vectorLength > 0 && type === 'B') entries.set(name, cString(buf, data, data + vectorLength));
    at += length;
  }
  return { majorVersion, minorVersion, accessible, entries };
}

function cString(buf: Buffer, start: number, limit: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end < 0 || end > limit ? limit : end);
}

/** A counter as a number (exact below 2^53, which every byte and event count here is). */
export function counter(data: PerfData, name: string): number | undefined {
  const v = data.entries.get(name);
  return typeof v === 'bigint' ? Number(v) : undefined;
}
