import { fileURLToPath } from 'node:url';
import type { AllocationSite } from './source.ts';

/**
 * V8's sampling heap profile (HeapProfiler.getSamplingProfile, the `.heapprofile` Chrome
 * DevTools loads) read as allocation sites. The tree's nodes are call frames from the root
 * (outermost) to the allocating function (innermost); a node's selfSize is the live bytes
 * sampled with that node innermost, already scaled by V8 to an estimate of the whole (each
 * sample counts for about samplingInterval / size objects of its size). With the default
 * options (no objects collected by a GC kept), only what was still live when asked is in it.
 */
export interface CdpCallFrame {
  functionName: string;
  scriptId: string;
  url: string;
  /** 0-based, of the function's start (not of the allocation); -1 when unknown. */
  lineNumber: number;
  columnNumber: number;
}

export interface SamplingHeapProfileNode {
  callFrame: CdpCallFrame;
  selfSize: number;
  id: number;
  children: SamplingHeapProfileNode[];
}

export interface SamplingHeapProfile {
  head: SamplingHeapProfileNode;
  /** Each live sample (V8 7.4+): its node and its scaled size. */
  samples?: { size: number; nodeId: number; ordinal: number }[];
}

/** Frames kept per site: at most this many allocating frames inside it, the site, and its callers. */
const INNER_FRAMES = 3;
const CALLERS = 2;

function isNode(x: unknown): x is SamplingHeapProfileNode {
  if (typeof x !== 'object' || x === null) return false;
  const n = x as Record<string, unknown>;
  const cf = n.callFrame as Record<string, unknown> | undefined;
  return (
    typeof n.selfSize === 'number' &&
    typeof n.id === 'number' &&
    Array.isArray(n.children) &&
    typeof cf === 'object' &&
    cf !== null &&
    typeof cf.functionName === 'string' &&
    typeof cf.url === 'string' &&
    typeof cf.lineNumber === 'number'
  );
}

/** Checks the inspector's answer (every node) and returns it typed; throws saying what is wrong. */
export function asSamplingHeapProfile(x: unknown): SamplingHeapProfile {
  const p = x as { head?: unknown; samples?: unknown } | null;
  if (typeof p !== 'object' || p === null || !isNode(p.head))
    throw new Error('the sampling heap profile has no root node (head with callFrame, selfSize, id, children)');
  const pending: unknown[] = [p.head];
  while (pending.length > 0) {
    const n = pending.pop();
    if (!isNode(n)) throw new Error(`the sampling heap profile has a node that is not one: ${JSON.stringify(n)}`);
    pending.push(...n.children);
  }
  if (p.samples !== undefined && !Array.isArray(p.samples))
    throw new Error('the sampling heap profile has samples that are not a list');
  return p as SamplingHeapProfile;
}

/**
 * Every live byte the profile sampled, all nodes together: what a site's share of the growth is
 * taken of. The sites from samplingProfileSites sum to it, but a reader may keep only the largest.
 */
export function samplingProfileTotal(profile: SamplingHeapProfile): number {
  let total = 0;
  const pending: SamplingHeapProfileNode[] = [profile.head];
  while (pending.length > 0) {
    const n = pending.pop()!;
    total += n.selfSize;
    pending.push(...n.children);
  }
  return total;
}

type FrameKind = 'user' | 'dependency' | 'runtime';

/**
 * The application's own code, then its dependencies, then the runtime: Node.js's built-in
 * modules (node:*) and frames with no script ("(V8 API)", "(root)", natives).
 */
function frameKind(cf: CdpCallFrame): FrameKind {
  if (cf.url === '' || cf.url.startsWith('node:')) return 'runtime';
  return /[\\/]node_modules[\\/]/.test(cf.url) ? 'dependency' : 'user';
}

function displayPath(url: string, cwd: string | undefined): string {
  let path = url;
  if (url.startsWith('file://')) {
    try {
      path = fileURLToPath(url);
    } catch {
      return url;
    }
  }
  return cwd !== undefined && path.startsWith(`${cwd}/`) ? path.slice(cwd.length + 1) : path;
}

/** "function (file:line)", the line 1-based as editors count; a frame with no script is its name alone. */
export function frameName(cf: CdpCallFrame, cwd?: string): string {
  const fn = cf.functionName === '' ? '(anonymous)' : cf.functionName;
  if (cf.url === '') return fn;
  const line = cf.lineNumber >= 0 ? `:${cf.lineNumber + 1}` : '';
  return `${fn} (${displayPath(cf.url, cwd)}${line})`;
}

/** Index in `frames` (innermost first) of the frame a developer would fix: their own code's innermost. */
function siteIndex(frames: readonly CdpCallFrame[]): number {
  for (const kind of ['user', 'dependency'] as const) {
    const i = frames.findIndex((f) => frameKind(f) === kind);
    if (i >= 0) return i;
  }
  return 0;
}

function shortStack(frames: readonly CdpCallFrame[], at: number, cwd: string | undefined): string[] {
  const inner = frames.slice(0, at);
  const kept = inner.length > INNER_FRAMES ? [...inner.slice(0, INNER_FRAMES - 1), undefined] : inner;
  return [...kept, ...frames.slice(at, at + 1 + CALLERS)].map((f) => (f ? frameName(f, cwd) : '…'));
}

interface SiteSum {
  bytes: number;
  samples: number;
  heaviest: number;
  stack: string[];
}

/**
 * Live bytes per site: each node's selfSize is given to the innermost frame on its path that is
 * the application's own code (else a dependency's, else the allocating frame itself), so a
 * string made by Buffer#toString inside `remember()` counts for `remember`. Paths of a site
 * are summed; its stack is the one with the most bytes. `cwd`: paths under it are shown
 * relative to it. Sites with no live bytes are left out; the rest sorted by bytes, most first.
 */
export function samplingProfileSites(profile: SamplingHeapProfile, cwd?: string): AllocationSite[] {
  const samplesByNode = new Map<number, number>();
  for (const s of profile.samples ?? []) samplesByNode.set(s.nodeId, (samplesByNode.get(s.nodeId) ?? 0) + 1);
  const sums = new Map<string, SiteSum>();
  // Depth-first with explicit paths (outermost first, the root left out): no recursion limit on deep stacks.
  const pending: { node: SamplingHeapProfileNode; path: CdpCallFrame[] }[] = profile.head.children.map((node) => ({
    node,
    path: [node.callFrame],
  }));
  while (pending.length > 0) {
    const { node, path } = pending.pop()!;
    for (const child of node.children) pending.push({ node: child, path: [...path, child.callFrame] });
    if (node.selfSize <= 0) continue;
    const frames = [...path].reverse();
    const at = siteIndex(frames);
    const site = frameName(frames[at]!, cwd);
    const sum = sums.get(site) ?? { bytes: 0, samples: 0, heaviest: 0, stack: [] };
    sum.bytes += node.selfSize;
    sum.samples += samplesByNode.get(node.id) ?? 0;
    if (node.selfSize > sum.heaviest) {
      sum.heaviest = node.selfSize;
      sum.stack = shortStack(frames, at, cwd);
    }
    sums.set(site, sum);
  }
  const withSamples = profile.samples !== undefined;
  return [...sums.entries()]
    .map(([site, s]): AllocationSite => ({
      site,
      kind: 'function',
      bytes: s.bytes,
      ...(withSamples && { samples: s.samples }),
      stack: s.stack,
    }))
    .sort((a, b) => b.bytes - a.bytes || a.site.localeCompare(b.site));
}
