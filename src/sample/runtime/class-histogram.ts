import type { AllocationSite } from './source.ts';

/**
 * HotSpot's class histogram, as `jmap -histo`, `jcmd GC.class_histogram` and the attach API's
 * `inspectheap` print it:
 *
 *    num     #instances         #bytes  class name (module)
 *   -------------------------------------------------------
 *      1:         21075        1406960  [B (java.base@17.0.15)
 *      4:          2400         307200  SitesServer$Visit
 *   Total         98858        4869160
 *
 * Bytes are shallow sizes (an object's own fields, not what it refers to). JDK 8 has no module
 * column; JDK 9+ adds "(module@version)" after classes of named modules.
 */
export interface ClassHistogramRow {
  /** The JVM's name: `[B` for byte[], `[Ljava.lang.String;` for String[], `Outer$Inner`. */
  className: string;
  module?: string;
  instances: number;
  bytes: number;
}

export interface ClassHistogram {
  rows: ClassHistogramRow[];
  /** The "Total" line, when there is one. */
  total?: { instances: number; bytes: number };
}

const ROW = /^\s*\d+:\s+(\d+)\s+(\d+)\s+(\S+)(?:\s+\(([^()]*)\))?\s*$/;
const TOTAL = /^\s*Total\s+(\d+)\s+(\d+)\s*$/;
const HEADER = /^\s*num\s+#instances\s+#bytes\s+class name/;
const RULE = /^\s*-+\s*$/;

/** Parses a histogram; throws naming the first line that is none of header, rule, row or total. */
export function parseClassHistogram(text: string): ClassHistogram {
  const rows: ClassHistogramRow[] = [];
  let total: ClassHistogram['total'];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '' || HEADER.test(line) || RULE.test(line)) continue;
    const row = ROW.exec(line);
    if (row) {
      rows.push({
        className: row[3]!,
        ...(row[4] !== undefined && { module: row[4] }),
        instances: Number(row[1]),
        bytes: Number(row[2]),
      });
      continue;
    }
    const t = TOTAL.exec(line);
    if (t) {
      total = { instances: Number(t[1]), bytes: Number(t[2]) };
      continue;
    }
    throw new Error(`class histogram line ${i + 1} is not a histogram row: ${JSON.stringify(line.slice(0, 120))}`);
  }
  if (rows.length === 0)
    throw new Error(`not a class histogram (no rows): ${JSON.stringify(text.trim().slice(0, 120))}`);
  return { rows, ...(total && { total }) };
}

/**
 * Live instances and shallow bytes of the whole heap: the Total line, or the rows summed where a
 * histogram has none. What a class's share of the growth is taken of.
 */
export function classHistogramTotal(histogram: ClassHistogram): { instances: number; bytes: number } {
  if (histogram.total) return histogram.total;
  return histogram.rows.reduce((t, r) => ({ instances: t.instances + r.instances, bytes: t.bytes + r.bytes }), {
    instances: 0,
    bytes: 0,
  });
}

/**
 * A class's name stable across runs and JDKs: a hidden class's address ("/0x00007fce9c150208",
 * JDK 8's "/1831932724")
 * and a lambda's load-order number ("$$Lambda$230", gone in JDK 21's "$$Lambda") change from one
 * run to the next, so every lambda of one class is counted as `Outer$$Lambda`.
 */
export function stableClassName(className: string): string {
  return className.replace(/\/(?:0x[0-9a-f]+|\d+)$/i, '').replace(/\$\$Lambda\$\d+$/, '$$$$Lambda');
}

/** Sites of kind 'class' (instances as objects), one per stable name, most bytes first. */
export function classHistogramSites(histogram: ClassHistogram): AllocationSite[] {
  const byName = new Map<string, AllocationSite>();
  for (const r of histogram.rows) {
    const site = stableClassName(r.className);
    const s = byName.get(site) ?? { site, kind: 'class' as const, bytes: 0, objects: 0 };
    s.bytes += r.bytes;
    s.objects! += r.instances;
    byName.set(site, s);
  }
  return [...byName.values()].sort((a, b) => b.bytes - a.bytes || a.site.localeCompare(b.site));
}
