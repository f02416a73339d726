/**
 * Named sets of smaller defaults. A preset fills only the flags the user did not give, as if
 * typed, so explicit flags still win and every preset value passes the same checks.
 */
export const PRESETS = {
  /**
   * Sized for a CI job of a few minutes on 2 cores: enough requests for the race build's RSS
   * to climb by some 100 MiB (see README) while the Go heap stays flat, and short idle phases.
   */
  ci: {
    requests: '100000',
    duration: '30s',
    rate: '2',
    'idle-before': '10s',
    'idle-after': '20s',
    'sample-interval': '500ms',
  },
} as const satisfies Record<string, Partial<Record<'requests' | 'duration' | 'rate' | 'idle-before' | 'idle-after' | 'sample-interval', string>>>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];
