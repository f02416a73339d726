import { readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import type { GoBuildInfo, GoModule, RuntimeName, TargetIdentity } from '../rundir/schema.ts';
import { parseGoBuildInfo } from './go-buildinfo.ts';

/**
 * What the sampled process is, read from /proc before any load: its executable, command line
 * and runtime, and for a Go binary the build info from the running executable itself
 * (/proc/PID/exe, which stays readable even when the file on disk was replaced or deleted).
 * Never throws: what cannot be read is said in `unknown`.
 */
export function identifyProcess(pid: number): TargetIdentity {
  const notes: string[] = [];
  let executable: string | undefined;
  try {
    executable = readlinkSync(`/proc/${pid}/exe`);
  } catch (err) {
    notes.push(
      `the executable of pid ${pid} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  let cmdline: string[] | undefined;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((a, i, all) => a !== '' || i < all.length - 1);
  } catch {
    notes.push(`the command line of pid ${pid} cannot be read`);
  }
  let maps = '';
  try {
    maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  } catch {
    // Only a hint for the runtime; the executable's name still tells most.
  }
  const out: TargetIdentity = { pid, runtime: 'other', runtimeEvidence: '' };
  if (executable) out.executable = executable;
  if (cmdline) out.cmdline = cmdline;

  let exeBytes: Buffer | undefined;
  try {
    exeBytes = readFileSync(`/proc/${pid}/exe`);
  } catch (err) {
    if (executable)
      notes.push(
        `the executable ${executable} cannot be read for build info (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
  }
  const go = exeBytes ? parseGoBuildInfo(exeBytes) : undefined;
  if (go && !('error' in go)) {
    out.runtime = 'go';
    out.runtimeVersion = go.goVersion;
    out.runtimeEvidence = 'Go build info in the executable';
    out.goBuild = compact(go);
  } else {
    const found = runtimeFromNames(executable ?? '', maps);
    out.runtime = found.runtime;
    out.runtimeEvidence = found.evidence;
    if (found.version) out.runtimeVersion = found.version;
    if (go && 'error' in go && found.runtime === 'other' && exeBytes) out.runtimeEvidence = go.error;
  }
  if (notes.length > 0) out.unknown = notes.join('; ');
  return out;
}

/** Not Go: the interpreter's or VM's name, from the executable or the libraries it maps. */
export function runtimeFromNames(
  executable: string,
  maps: string,
): { runtime: RuntimeName; evidence: string; version?: string } {
  const name = basename(executable);
  const lib = (re: RegExp): string | undefined =>
    maps
      .split('\n')
      .map((l) => l.slice(l.indexOf('/')))
      .find((p) => re.test(p));
  if (/^node(js)?(\d+)?$/.test(name)) return { runtime: 'node', evidence: `executable ${name}` };
  const libnode = lib(/\/libnode\.so/);
  if (libnode) return { runtime: 'node', evidence: `maps ${libnode}` };
  const py = /^python(\d+(?:\.\d+)?)?$/.exec(name);
  if (py) return { runtime: 'python', evidence: `executable ${name}`, ...(py[1] && { version: py[1] }) };
  const libpython = lib(/\/libpython\d/);
  if (libpython)
    return { runtime: 'python', evidence: `maps ${libpython}`, ...versionIn(libpython, /libpython(\d+\.\d+)/) };
  const libjvm = lib(/\/libjvm\.so$/);
  if (name === 'java' || libjvm)
    return {
      runtime: 'jvm',
      evidence: libjvm ? `maps ${libjvm}` : `executable ${name}`,
      ...versionIn(libjvm ?? executable, /(?:jdk|java)-?(\d+[.\d]*)/),
    };
  return {
    runtime: 'other',
    evidence: executable ? `${name}: no Go build info, not a known interpreter or VM` : 'executable unknown',
  };
}

function versionIn(text: string, re: RegExp): { version?: string } {
  const m = re.exec(text);
  return m?.[1] ? { version: m[1] } : {};
}

/**
 * Module checksums (h1:...) and empty settings (CGO_CFLAGS=) say nothing about memory; left out,
 * run.json stays small enough to be rewritten atomically on a nearly full disk.
 */
function compact(go: GoBuildInfo): GoBuildInfo {
  const strip = (m: GoModule): GoModule => ({
    path: m.path,
    version: m.version,
    ...(m.replacedBy && { replacedBy: m.replacedBy }),
  });
  return {
    goVersion: go.goVersion,
    ...(go.path && { path: go.path }),
    ...(go.main && { main: strip(go.main) }),
    deps: go.deps.map(strip),
    settings: go.settings.filter((s) => s.value !== ''),
  };
}
