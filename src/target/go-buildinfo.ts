/**
 * The build info that the Go linker writes into every binary since Go 1.18 (what
 * `go version -m BINARY` prints), read from the file's bytes, so that a machine without `go`
 * can still say how a target was built. The blob survives `-ldflags="-s -w"`: it lives in a
 * data section (.go.buildinfo), not in the symbol table or DWARF that -s -w strip.
 *
 * Layout (Go 1.18+, flag bit 2 set): a 32-byte header that starts with "\xff Go buildinf:",
 * 16-byte aligned, then two strings each prefixed by its length as a uvarint: the Go version
 * and the module info. The module info is framed by 16 sentinel bytes at either end and holds
 * tab-separated lines: `path`, `mod`, `dep`, `=>` (a replacement) and `build KEY=VALUE`.
 * Older binaries store pointers instead of inline strings; they are reported as unreadable.
 */

import type { GoBuildInfo, GoModule } from '../rundir/schema.ts';

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const HEADER_SIZE = 32;
const FLAG_INLINE_STRINGS = 0x2;
const SENTINEL_SIZE = 16;

/** The build info in an executable's bytes, or a reason it has none. */
export function parseGoBuildInfo(bytes: Buffer): GoBuildInfo | { error: string } {
  let at = bytes.indexOf(MAGIC);
  while (at >= 0 && at % 16 !== 0) at = bytes.indexOf(MAGIC, at + 1);
  if (at < 0) return { error: 'no Go build info in the executable (not a Go binary)' };
  if (at + HEADER_SIZE > bytes.length) return { error: 'the Go build info header is cut off' };
  const flags = bytes[at + 15]!;
  if ((flags & FLAG_INLINE_STRINGS) === 0)
    return { error: 'the binary was built by Go before 1.18, whose build info this reader does not decode' };
  const version = readString(bytes, at + HEADER_SIZE);
  if (!version) return { error: 'the Go version string in the build info is unreadable' };
  const mod = readString(bytes, version.next);
  if (!mod) return { error: 'the module info in the build info is unreadable' };
  const text =
    mod.value.length >= 2 * SENTINEL_SIZE + 1
      ? mod.value.subarray(SENTINEL_SIZE, mod.value.length - SENTINEL_SIZE).toString('utf8')
      : '';
  return { goVersion: version.value.toString('utf8'), ...parseModInfo(text) };
}

function readString(bytes: Buffer, offset: number): { value: Buffer; next: number } | undefined {
  let length = 0;
  let shift = 0;
  let i = offset;
  for (; i < bytes.length && i < offset + 10; i++) {
    const b = bytes[i]!;
    length += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) break;
  }
  const start = i + 1;
  if (start + length > bytes.length) return undefined;
  return { value: bytes.subarray(start, start + length), next: start + length };
}

/** The lines of `go version -m` after the first, as data. */
export function parseModInfo(text: string): Omit<GoBuildInfo, 'goVersion'> {
  const out: Omit<GoBuildInfo, 'goVersion'> = { deps: [], settings: [] };
  let last: GoModule | undefined;
  for (const line of text.split('\n')) {
    const [tag, ...f] = line.split('\t');
    if (tag === 'path' && f[0]) out.path = f[0];
    else if ((tag === 'mod' || tag === 'dep') && f[0]) {
      last = { path: f[0], version: f[1] ?? '', ...(f[2] && { sum: f[2] }) };
      if (tag === 'mod') out.main = last;
      else out.deps.push(last);
    } else if (tag === '=>' && last && f[0]) last.replacedBy = { path: f[0], version: f[1] ?? '' };
    else if (tag === 'build' && f.length > 0) {
      const kv = f.join('\t');
      const eq = kv.indexOf('=');
      if (eq > 0) out.settings.push({ key: kv.slice(0, eq), value: unquote(kv.slice(eq + 1)) });
    }
  }
  return out;
}

/** `go version -m` quotes values with spaces (-ldflags="-s -w"). */
function unquote(v: string): string {
  if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) {
    try {
      return JSON.parse(v) as string;
    } catch {
      return v.slice(1, -1);
    }
  }
  return v;
}
