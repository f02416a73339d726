import { basename } from 'node:path';
import type { TargetIdentity, TargetInfo } from '../rundir/schema.ts';

/**
 * The target as a reader knows it, for the report's title: the name the user gave it, else what
 * the process is (its executable, with the script or jar an interpreter runs), else where it
 * listens. The pack's own placeholders (`cmd`, `sample`, `attach-PORT`) name nothing.
 */
export function targetName(t: TargetInfo): string {
  if (t.kind === 'bundled' || !isPlaceholder(t)) return t.label;
  const fromProcess = t.identity && processName(t.identity);
  if (fromProcess) return fromProcess;
  const word = t.command?.trim().split(/\s+/)[0];
  if (word) return basename(word);
  const url = t.url || t.metricsUrl;
  if (url) {
    try {
      return new URL(url).host;
    } catch {
      // Not a URL: fall through to the label.
    }
  }
  if (t.pid !== undefined) return `process ${t.pid}`;
  return t.label;
}

/** The same summary with its target's label replaced by targetName(), for titles. */
export function withTargetName<S extends { target: TargetInfo }>(summary: S): S {
  return { ...summary, target: { ...summary.target, label: targetName(summary.target) } };
}

function isPlaceholder(t: TargetInfo): boolean {
  return t.label === 'cmd' || t.label === 'sample' || /^attach-\d+$/.test(t.label);
}

/** Options of interpreters that take the next argument as their value, not as the program. */
const VALUE_OPTIONS = new Set(['-cp', '-classpath', '--class-path', '-r', '--require', '--import', '-W', '-X']);

/** "node server.js", "java app.jar", "python3 -m uvicorn", "health-check". */
function processName(id: TargetIdentity): string | undefined {
  const exe = id.executable ?? id.cmdline?.[0];
  if (!exe) return undefined;
  const name = basename(exe.replace(/ \(deleted\)$/, ''));
  if (id.runtime !== 'node' && id.runtime !== 'python' && id.runtime !== 'jvm') return name;
  const program = programOf(id.cmdline?.slice(1) ?? []);
  return program ? `${name} ${program}` : name;
}

/** The script, module, jar or main class an interpreter was started with. */
function programOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-m' || a === '-jar') return args[i + 1] && `${a} ${basename(args[i + 1]!)}`;
    if (VALUE_OPTIONS.has(a)) {
      i++;
      continue;
    }
    if (!a.startsWith('-')) return basename(a);
  }
  return undefined;
}
