import type { AllocSitesReport, SiteGrowth } from './alloc-sites.ts';
import type { SitesOrigin } from '../rundir/schema.ts';

/**
 * Allocation sites that grew in one build and not in another (issue 24 item 3): per build, the
 * sites of its last profile diff (first rest → last rest) that kept at least MIN_PER_1K per
 * 1,000 requests, where another build of the comparison kept less than a quarter of that rate
 * at the same site, or did not show it. Pure: the builds' reports in, the contrasts out.
 */

/** Below this a site's growth is within what a profile's sampling and a run's noise move. */
export const MIN_PER_1K = 1024;
/** Another build keeping less than this share of the rate at the same site did not grow there. */
const OTHER_SHARE = 0.25;

export interface SiteContrast {
  build: string;
  origin: SitesOrigin;
  site: string;
  bytesPer1k: number;
  /** The other builds' rate at the same site: undefined where the site is not in their top sites. */
  others: { build: string; bytesPer1k?: number }[];
}

export function contrastSites(builds: readonly { build: string; sites?: AllocSitesReport }[]): SiteContrast[] {
  const grown = builds.map((b) => ({ build: b.build, sites: lastSites(b.sites) }));
  const out: SiteContrast[] = [];
  for (const b of grown) {
    for (const [origin, sites] of b.sites) {
      for (const s of sites) {
        const rate = s.bytesPer1k;
        if (rate === undefined || rate < MIN_PER_1K) continue;
        const others = grown
          .filter((o) => o.build !== b.build && o.sites.has(origin))
          .map((o) => {
            const there = o.sites.get(origin)!.find((x) => x.site === s.site)?.bytesPer1k;
            return { build: o.build, ...(there !== undefined && { bytesPer1k: there }) };
          });
        if (others.length === 0) continue;
        if (others.some((o) => (o.bytesPer1k ?? 0) < OTHER_SHARE * rate))
          out.push({ build: b.build, origin, site: s.site, bytesPer1k: rate, others });
      }
    }
  }
  return out;
}

/** Per profiler, the sites of the last diff (first rest → last rest). */
function lastSites(r: AllocSitesReport | undefined): Map<SitesOrigin, SiteGrowth[]> {
  const m = new Map<SitesOrigin, SiteGrowth[]>();
  for (const s of r?.series ?? []) {
    const d = s.diffs.at(-1);
    if (d) m.set(s.origin, d.sites);
  }
  return m;
}
