/**
 * Named sets of smaller defaults. A preset fills only the flags the user did not give, as if
 * typed, so explicit flags still win and every preset value passes the same checks.
 */
export const PRESETS = {
  /**
   * Sized for a CI job of a few minutes on 2 cores, and no smaller than the verdict needs
   * (src/analyse/thresholds.ts): a burst must span six samples even against the plain build
   * (about 40k requests/s on 2 cores, so 200k requests take 5 s) and an idle window must span
   * 30 s after its first probe, so the idle phases are 40 s. The soak's idle-before is only a
   * baseline; its idle-after is long enough to tell growth at rest from memory held.
   */
  ci: {
    requests: '200000',
    duration: '40s',
    rate: '2',
    'idle-before': '10s',
    'idle-after': '40s',
    'sample-interval': '500ms',
  },
} as const satisfies Record<
  string,
  Partial<Record<'requests' | 'duration' | 'rate' | 'idle-before' | 'idle-after' | 'sample-interval', string>>
>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];
