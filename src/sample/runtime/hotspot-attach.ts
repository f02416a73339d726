import { existsSync, unlinkSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { cmdline, environVar, inTargetRoot, namespacedPid, type NamespacedPid } from './proc-namespace.ts';
import { readFileSync } from 'node:fs';

/**
 * HotSpot's attach API spoken directly (what jcmd and jmap do), so a JVM can be asked for a
 * collection or a class histogram with no JDK tools: a `.attach_pid<nspid>` file and SIGQUIT
 * make the JVM open the UNIX socket `/tmp/.java_pid<nspid>` in its mount namespace, which takes
 * one request per connection (protocol 1): "1\0<command>\0<arg0>\0<arg1>\0<arg2>\0", and answers
 * with a result code line ("0" is success) and the command's output until it closes.
 *
 * Commands: `jcmd` with a diagnostic command line as arg0 (e.g. "GC.run",
 * "GC.class_histogram"), `inspectheap` ("-live"/"-all"), `threaddump`, `properties`.
 */
export const ATTACH_PROTOCOL_VERSION = '1';
const SOCKET_WAIT_MS = 5_000;

export interface AttachAnswer {
  /** The JVM's result code (0: the command ran). */
  code: number;
  /** Everything after the code line. */
  output: string;
}

export class AttachRefused extends Error {}

/** The JVM took the request but did not answer in time (a histogram of a huge heap): it may next time. */
export class AttachTimeout extends AttachRefused {}

/** The bytes of one request; at most three arguments, missing ones empty (as the JVM expects). */
export function encodeAttachRequest(command: string, args: readonly string[] = []): Buffer {
  if (args.length > 3) throw new RangeError(`attach: at most 3 arguments, got ${args.length}`);
  for (const part of [command, ...args])
    if (part.includes('\0')) throw new RangeError('attach: an argument may not contain a NUL byte');
  const padded = [...args, '', '', ''].slice(0, 3);
  return Buffer.from([ATTACH_PROTOCOL_VERSION, command, ...padded].map((p) => `${p}\0`).join(''), 'utf8');
}

/** The code line and the output; a reply with no code line is the JVM refusing the peer. */
export function decodeAttachAnswer(raw: Buffer): AttachAnswer {
  const text = raw.toString('utf8');
  const nl = text.indexOf('\n');
  const head = (nl < 0 ? text : text.slice(0, nl)).trim();
  if (!/^-?\d+$/.test(head))
    throw new AttachRefused(
      raw.length === 0
        ? 'the JVM closed the attach connection without answering (it accepts only its own user, or root)'
        : `the JVM's answer does not start with a result code: ${JSON.stringify(text.slice(0, 80))}`,
    );
  return { code: Number(head), output: nl < 0 ? '' : text.slice(nl + 1) };
}

/**
 * Why SIGQUIT must not be sent: it is what opens the attach listener, but a JVM that does not
 * catch it (-Xrs, still starting) dies of it, and one with attach disabled prints a thread dump
 * into the user's log instead.
 */
export function attachBlocker(pid: number, procRoot = '/proc'): string | undefined {
  const opts = [
    ...cmdline(pid, procRoot),
    ...(environVar(pid, 'JAVA_TOOL_OPTIONS', procRoot) ?? '').split(/\s+/),
    ...(environVar(pid, 'JDK_JAVA_OPTIONS', procRoot) ?? '').split(/\s+/),
  ];
  if (opts.includes('-XX:+DisableAttachMechanism')) return 'the JVM runs with -XX:+DisableAttachMechanism';
  if (opts.includes('-Xrs') || opts.includes('-XX:+ReduceSignalUsage'))
    return 'the JVM runs with -Xrs (it does not handle SIGQUIT, which would stop it)';
  let status: string;
  try {
    status = readFileSync(`${procRoot}/${pid}/status`, 'utf8');
  } catch (err) {
    return `cannot read /proc/${pid}/status: ${(err as Error).message}`;
  }
  const caught = /^SigCgt:\s+([0-9a-f]+)$/m.exec(status)?.[1];
  // Bit 2 is SIGQUIT (signal 3).
  if (caught === undefined || (BigInt(`0x${caught}`) & 4n) === 0n)
    return 'the process does not handle SIGQUIT (not a HotSpot JVM, or one still starting)';
  return undefined;
}

/** One HotSpot JVM to talk to; each `command` is one connection. */
export class HotSpotAttach {
  readonly target: NamespacedPid;
  private readonly procRoot: string;

  constructor(pid: number, procRoot = '/proc') {
    this.procRoot = procRoot;
    this.target = namespacedPid(pid, procRoot);
  }

  get socketPath(): string {
    return inTargetRoot(this.target.pid, `/tmp/.java_pid${this.target.nsPid}`, this.procRoot);
  }

  /** Runs one command; throws AttachRefused with the reason when the JVM cannot be reached. */
  async command(command: string, args: readonly string[] = [], timeoutMs = 30_000): Promise<AttachAnswer> {
    await this.ensureListener();
    const raw = await exchange(this.socketPath, encodeAttachRequest(command, args), timeoutMs);
    return decodeAttachAnswer(raw);
  }

  /** `jcmd <pid> <line>`: throws when the JVM answers with a failure code. */
  async jcmd(line: string, timeoutMs = 30_000): Promise<string> {
    const answer = await this.command('jcmd', [line], timeoutMs);
    if (answer.code !== 0) throw new AttachRefused(`jcmd ${line}: code ${answer.code}: ${answer.output.trim()}`);
    return answer.output;
  }

  /** Makes the JVM open its socket (once per JVM lifetime: it stays open afterwards). */
  private async ensureListener(): Promise<void> {
    if (existsSync(this.socketPath)) return;
    const blocker = attachBlocker(this.target.pid, this.procRoot);
    if (blocker) throw new AttachRefused(blocker);
    const file = this.writeAttachFile();
    try {
      try {
        process.kill(this.target.pid, 'SIGQUIT');
      } catch (err) {
        throw new AttachRefused(`cannot signal pid ${this.target.pid}: ${(err as Error).message}`);
      }
      const deadline = Date.now() + SOCKET_WAIT_MS;
      while (!existsSync(this.socketPath)) {
        if (Date.now() > deadline)
          throw new AttachRefused(`no attach socket ${this.socketPath} ${SOCKET_WAIT_MS / 1000} s after SIGQUIT`);
        await sleep(50);
      }
    } finally {
      try {
        unlinkSync(file);
      } catch {
        // The JVM may have removed it already.
      }
    }
  }

  /** In the JVM's working directory, else its /tmp: it looks in both. */
  private writeAttachFile(): string {
    const name = `.attach_pid${this.target.nsPid}`;
    const tried: string[] = [];
    for (const dir of [
      `${this.procRoot}/${this.target.pid}/cwd`,
      inTargetRoot(this.target.pid, '/tmp', this.procRoot),
    ]) {
      try {
        writeFileSync(`${dir}/${name}`, '');
        return `${dir}/${name}`;
      } catch (err) {
        tried.push(`${dir}: ${(err as Error).message}`);
      }
    }
    throw new AttachRefused(`cannot create ${name} (${tried.join('; ')})`);
  }
}

function exchange(socketPath: string, request: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = createConnection(socketPath);
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new AttachTimeout(`no answer on ${socketPath} within ${timeoutMs} ms`)),
    );
    socket.on('connect', () => socket.end(request));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err) =>
      reject(err instanceof AttachRefused ? err : new AttachRefused(`${socketPath}: ${err.message}`)),
    );
    socket.on('close', (hadError) => {
      if (!hadError) resolve(Buffer.concat(chunks));
    });
  });
}
