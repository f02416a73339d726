import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { Sample } from '../rundir/schema.ts';
import { errorCode } from './proc-fields.ts';
import { ProcessGoneError } from './proc-status.ts';

/**
 * How busy a target is, read from the target itself: its CPU time, its TCP connections and the
 * requests it says it answered. A watched run has no load driver to say when the load ran;
 * these figures are what src/analyse/phase-detect.ts finds the phases from.
 */

// ─── CPU time ──────────────────────────────────────────────────────────────────────────────

let clockTicks: number | undefined;

/** The kernel's USER_HZ (`getconf CLK_TCK`): utime and stime count in these. 100 on every Linux we know. */
export function clockTicksPerSecond(): number {
  if (clockTicks !== undefined) return clockTicks;
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 }).trim());
    clockTicks = Number.isInteger(n) && n > 0 ? n : 100;
  } catch {
    clockTicks = 100;
  }
  return clockTicks;
}

/**
 * utime + stime of a /proc/PID/stat line, in seconds. The command name (field 2) is in
 * parentheses and may hold spaces and ')' itself, so fields are counted after the last ')'.
 */
export function parseCpuSeconds(stat: string, ticksPerSecond: number): number | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  // After ')': field 3 (state) is index 0, so utime (field 14) is index 11 and stime index 12.
  const rest = stat
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return (utime + stime) / ticksPerSecond;
}

// ─── TCP connections ───────────────────────────────────────────────────────────────────────

/** A TCP socket of /proc/net/tcp{,6}: its inode and whether it is ESTABLISHED (state 01). */
export interface TcpSocket {
  inode: number;
  established: boolean;
}

/**
 * The sockets of a /proc/net/tcp or tcp6 table. Columns: sl, local, remote, st, tx:rx, tr:when,
 * retrnsmt, uid, timeout, inode. Listening sockets (0A) and the rest are kept too: a socket
 * new since the last sample counts as opened whatever its state now.
 */
export function parseTcpTable(text: string): TcpSocket[] {
  const out: TcpSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 10) continue;
    const inode = Number(cols[9]);
    // Inode 0: a socket in TIME_WAIT, owned by no process any more.
    if (!Number.isInteger(inode) || inode <= 0) continue;
    out.push({ inode, established: cols[3] === '01' });
  }
  return out;
}

/** Inodes of the sockets among /proc/PID/fd's links ("socket:[12345]"). */
export function socketInodes(links: readonly string[]): Set<number> {
  const out = new Set<number>();
  for (const l of links) {
    const m = /^socket:\[(\d+)\]$/.exec(l);
    if (m) out.add(Number(m[1]));
  }
  return out;
}

/** The process's TCP sockets: its socket inodes that its network namespace's tables list. */
export function ownTcpSockets(owned: ReadonlySet<number>, tables: readonly TcpSocket[]): TcpSocket[] {
  return tables.filter((s) => owned.has(s.inode));
}

function readFdLinks(pid: number): string[] {
  const dir = `/proc/${pid}/fd`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT' || code === 'ESRCH') throw new ProcessGoneError(pid, `${dir} is gone`);
    if (code === 'EACCES' || code === 'EPERM')
      throw new Error(
        `cannot list ${dir} (${code}): connections are counted only for a process of the same user, or as root`,
        { cause: err },
      );
    throw err;
  }
  const links: string[] = [];
  for (const n of names) {
    try {
      links.push(readlinkSync(`${dir}/${n}`));
    } catch {
      // The descriptor was closed between the listing and the readlink: it is no connection now.
    }
  }
  return links;
}

function readTcpTables(pid: number): TcpSocket[] {
  const out: TcpSocket[] = [];
  for (const name of ['tcp', 'tcp6']) {
    try {
      out.push(...parseTcpTable(readFileSync(`/proc/${pid}/net/${name}`, 'utf8')));
    } catch (err) {
      // A kernel without IPv6 has no tcp6 table; without tcp there is nothing to count.
      if (name === 'tcp') throw err;
    }
  }
  return out;
}

// ─── request counters ──────────────────────────────────────────────────────────────────────

/**
 * Request counters as real clients name them, most specific first. Each is a counter (or a
 * histogram's or summary's _count) over every answered request; the series of a name are summed
 * over their labels (method, code, path). Checked against: client_golang's promhttp
 * InstrumentHandlerCounter examples and most hand-written Go servers (http_requests_total),
 * Spring Boot's Micrometer (http_server_requests_seconds_count), prom-client's
 * express-prom-bundle and prometheus-fastapi-instrumentator (http_request_duration_seconds_count),
 * zsais/go-gin-prometheus (gin_requests_total), echo-contrib's echoprometheus
 * (echo_requests_total), penglongli/gin-metrics (gin_request_total), prometheus_flask_exporter
 * (flask_http_request_total), OpenTelemetry's Prometheus exporter
 * (http_server_request_duration_seconds_count, older semconv http_server_duration_milliseconds_count).
 */
export const REQUEST_COUNTERS: readonly string[] = [
  'http_requests_total',
  'http_server_requests_seconds_count',
  'http_server_request_duration_seconds_count',
  'http_request_duration_seconds_count',
  'http_server_duration_milliseconds_count',
  'http_server_requests_total',
  'http_server_request_total',
  'gin_requests_total',
  'gin_request_total',
  'echo_requests_total',
  'flask_http_request_total',
  'starlette_requests_total',
];

/**
 * Counters that count something else than the service's answers: promhttp's own
 * /metrics scrapes (which the sampler itself drives), and in-flight gauges.
 */
const NOT_SERVED = /^promhttp_|in_flight|inflight|active_requests/;

/** Other names that read as a total of answered requests, e.g. `myapp_http_requests_total`. */
const REQUEST_COUNTER_SHAPE = /^(?:[a-z0-9]+_)*(?:http_)?requests?_total$/;

export interface RequestCount {
  /** The name summed (a metric family). */
  name: string;
  value: number;
}

/**
 * The requests a /metrics text says were answered: the first of REQUEST_COUNTERS present, else
 * the first name of the usual shape, summed over its series. Pure; undefined when there is none.
 */
export function requestCount(text: string): RequestCount | undefined {
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const value = Number(m[2]);
    if (!Number.isFinite(value)) continue;
    sums.set(m[1]!, (sums.get(m[1]!) ?? 0) + value);
  }
  for (const name of REQUEST_COUNTERS) {
    const v = sums.get(name);
    if (v !== undefined) return { name, value: v };
  }
  for (const [name, value] of sums) {
    if (!NOT_SERVED.test(name) && REQUEST_COUNTER_SHAPE.test(name)) return { name, value };
  }
  return undefined;
}

// ─── the source ────────────────────────────────────────────────────────────────────────────

/**
 * Reads CPU time and connections of `pid` each sample; remembers the previous sample's socket
 * inodes to count the connections opened since. One per run.
 */
export class ActivitySource {
  private seen: Set<number> | undefined;
  private readonly ticks = clockTicksPerSecond();

  constructor(private readonly pid: number) {}

  read(): Partial<Sample> {
    const out: Partial<Sample> = {};
    let stat: string;
    try {
      stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    } catch (err) {
      const code = errorCode(err);
      if (code === 'ENOENT' || code === 'ESRCH') throw new ProcessGoneError(this.pid, `/proc/${this.pid}/stat is gone`);
      throw err;
    }
    const cpu = parseCpuSeconds(stat, this.ticks);
    if (cpu !== undefined) out.cpuSeconds = cpu;
    const sockets = ownTcpSockets(socketInodes(readFdLinks(this.pid)), readTcpTables(this.pid));
    out.connEstablished = sockets.filter((s) => s.established).length;
    const now = new Set(sockets.map((s) => s.inode));
    if (this.seen !== undefined) {
      let opened = 0;
      for (const inode of now) if (!this.seen.has(inode)) opened++;
      out.connOpened = opened;
    }
    this.seen = now;
    return out;
  }
}
