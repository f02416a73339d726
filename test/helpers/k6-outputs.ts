/**
 * k6 outputs written the way k6 writes them, for the importer's tests:
 * - `--out json`: one object per line, `{"metric","type","data":{"time","value","tags"}}` for
 *   samples and `{"type":"Metric",...}` the first time a metric appears, times in RFC 3339 with
 *   nanoseconds and the runner's zone (k6-docs results-output/real-time/json; grafana/k6
 *   output/json/wrapper.go, json.go).
 * - `--out csv`: `metric_name,timestamp,metric_value,<system tags, sorted>,extra_tags,metadata`,
 *   values with "%f", other tags as k=v&k=v in extra_tags (k6-docs results-output/real-time/csv;
 *   grafana/k6 output/csv/output.go).
 * Every request emits the http_req_* family, http_req_failed and a check, as k6 does.
 */
export interface FakeRequest {
  /** Epoch ms when the response ended (k6 stamps request metrics then). */
  atMs: number;
  durationMs: number;
  status: number;
  scenario: string;
  phaseKind?: 'idle' | 'burst';
  instanceId?: string;
  errorCode?: string;
  url?: string;
  group?: string;
}

const HTTP_TRENDS = [
  'http_req_blocked',
  'http_req_connecting',
  'http_req_tls_handshaking',
  'http_req_sending',
  'http_req_waiting',
  'http_req_receiving',
];

/** RFC 3339 with nanoseconds in a fixed zone, as Go marshals a time.Time of a runner in that zone. */
export function rfc3339(ms: number, offsetMin = 120): string {
  const local = new Date(Math.floor(ms) + offsetMin * 60_000).toISOString().replace(/\.\d+Z$/, '');
  const nanos = String(Math.round((ms - Math.floor(ms / 1000) * 1000) * 1e6)).padStart(9, '0');
  const sign = offsetMin >= 0 ? '+' : '-';
  const a = Math.abs(offsetMin);
  return `${local}.${nanos}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

function tagsOf(r: FakeRequest): Record<string, string> {
  const url = r.url ?? 'http://127.0.0.1:8080/health_check';
  const tags: Record<string, string> = {
    expected_response: String(r.status >= 200 && r.status < 400),
    group: r.group ?? '',
    method: 'GET',
    name: url,
    proto: r.status === 0 ? '' : 'HTTP/1.1',
    scenario: r.scenario,
    status: String(r.status),
    url,
  };
  if (r.errorCode !== undefined) {
    tags.error_code = r.errorCode;
    tags.error = r.errorCode === '1050' ? 'request timeout' : 'dial: connection refused';
  }
  if (r.phaseKind) tags.phase_kind = r.phaseKind;
  if (r.instanceId !== undefined) {
    tags.instance_id = r.instanceId;
    tags.testrun_name = 'leakbench-burst';
  }
  return tags;
}

function samplesOf(r: FakeRequest): [metric: string, value: number, tags: Record<string, string>][] {
  const tags = tagsOf(r);
  const out: [string, number, Record<string, string>][] = [
    ['http_reqs', 1, tags],
    ['http_req_duration', r.durationMs, tags],
    ...HTTP_TRENDS.map((m): [string, number, Record<string, string>] => [
      m,
      m === 'http_req_waiting' ? r.durationMs * 0.9 : 0.01,
      tags,
    ]),
    ['http_req_failed', r.status === 0 || r.status >= 400 ? 1 : 0, tags],
  ];
  if (r.group === undefined) {
    const checkTags = {
      check: 'status is 2xx',
      group: '',
      scenario: r.scenario,
      ...(r.phaseKind && { phase_kind: r.phaseKind }),
      ...(r.instanceId !== undefined && { instance_id: r.instanceId }),
    };
    out.push(
      ['checks', r.status >= 200 && r.status < 300 ? 1 : 0, checkTags],
      ['iterations', 1, { group: '', scenario: r.scenario }],
    );
  }
  return out;
}

const METRIC_TYPES: Record<string, [string, string]> = {
  http_reqs: ['counter', 'default'],
  http_req_failed: ['rate', 'default'],
  checks: ['rate', 'default'],
  iterations: ['counter', 'default'],
  vus: ['gauge', 'default'],
};

export function k6Json(requests: FakeRequest[], opts: { offsetMin?: number; vus?: number } = {}): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  const sorted = [...requests].sort((a, b) => a.atMs - b.atMs);
  const first = sorted[0]?.atMs ?? 0;
  lines.push(
    `{"metric":"vus","type":"Metric","data":{"name":"vus","type":"gauge","contains":"default","thresholds":[],"submetrics":null}}`,
  );
  lines.push(
    JSON.stringify({
      metric: 'vus',
      type: 'Point',
      data: { time: rfc3339(first, opts.offsetMin), value: opts.vus ?? 1, tags: null },
    }),
  );
  for (const r of sorted) {
    for (const [metric, value, tags] of samplesOf(r)) {
      if (!seen.has(metric)) {
        seen.add(metric);
        const [type, contains] = METRIC_TYPES[metric] ?? ['trend', 'time'];
        lines.push(
          JSON.stringify({
            metric,
            type: 'Metric',
            data: {
              name: metric,
              type,
              contains,
              thresholds: metric === 'http_req_failed' ? ['rate<0.01'] : [],
              submetrics: null,
            },
          }),
        );
      }
      lines.push(
        JSON.stringify({ metric, type: 'Point', data: { time: rfc3339(r.atMs, opts.offsetMin), value, tags } }),
      );
    }
  }
  return lines.join('\n') + '\n';
}

const CSV_TAGS = [
  'check',
  'error',
  'error_code',
  'expected_response',
  'group',
  'method',
  'name',
  'proto',
  'scenario',
  'service',
  'status',
  'subproto',
  'tls_version',
  'url',
];

function csvField(v: string): string {
  return /[",\n\r]/.test(v) || v.startsWith(' ') ? `"${v.replace(/"/g, '""')}"` : v;
}

/** `timeFormat`: k6's default `unix` (whole seconds), or `unix_milli`, `rfc3339_nano`. */
export function k6Csv(
  requests: FakeRequest[],
  opts: { timeFormat?: 'unix' | 'unix_milli' | 'rfc3339_nano'; metadata?: boolean } = {},
): string {
  const header = [
    'metric_name',
    'timestamp',
    'metric_value',
    ...CSV_TAGS,
    'extra_tags',
    ...(opts.metadata === false ? [] : ['metadata']),
  ];
  const lines = [header.join(',')];
  const time = (ms: number) =>
    opts.timeFormat === 'unix_milli'
      ? String(Math.floor(ms))
      : opts.timeFormat === 'rfc3339_nano'
        ? rfc3339(ms, 0).replace('+00:00', 'Z')
        : String(Math.floor(ms / 1000));
  for (const r of [...requests].sort((a, b) => a.atMs - b.atMs)) {
    for (const [metric, value, tags] of samplesOf(r)) {
      const extra = Object.entries(tags)
        .filter(([k]) => !CSV_TAGS.includes(k))
        .map(([k, v]) => `${k}=${v}`)
        .join('&');
      const row = [
        metric,
        time(r.atMs),
        value.toFixed(6),
        ...CSV_TAGS.map((t) => tags[t] ?? ''),
        extra,
        ...(opts.metadata === false ? [] : ['vu=1&iter=0']),
      ];
      lines.push(row.map(csvField).join(','));
    }
  }
  return lines.join('\n') + '\n';
}

/** The `data` object k6 hands to handleSummary (k6-docs custom-summary), with the pack's `leakbench` key when `meta` is given. */
export function k6Summary(o: {
  requests: number;
  failed: number;
  checks?: [number, number];
  crossed?: boolean;
  meta?: unknown;
  durationMs?: number;
}): Record<string, unknown> {
  const [passes, fails] = o.checks ?? [o.requests - o.failed, o.failed];
  return {
    root_group: {
      name: '',
      path: '',
      id: 'd41d8cd98f00b204e9800998ecf8427e',
      groups: [],
      checks: [{ name: 'status is 2xx', path: '::status is 2xx', passes, fails }],
    },
    options: {
      summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(99)', 'p(99.9)', 'count'],
      summaryTimeUnit: '',
      noColor: false,
    },
    state: { isStdOutTTY: false, isStdErrTTY: false, testRunDurationMs: o.durationMs ?? 10_000 },
    metrics: {
      http_reqs: { type: 'counter', contains: 'default', values: { count: o.requests, rate: o.requests / 10 } },
      http_req_failed: {
        type: 'rate',
        contains: 'default',
        values: { rate: o.failed / o.requests, passes: o.failed, fails: o.requests - o.failed },
        thresholds: { 'rate<0.01': { ok: !o.crossed } },
      },
      http_req_duration: {
        type: 'trend',
        contains: 'time',
        values: { avg: 2, min: 1, med: 1.5, max: 100, 'p(90)': 3, 'p(99)': 90, 'p(99.9)': 100, count: o.requests },
      },
      checks: {
        type: 'rate',
        contains: 'default',
        values: { rate: passes / (passes + fails), passes, fails },
        thresholds: { 'rate>0.99': { ok: !o.crossed } },
      },
    },
    ...(o.meta !== undefined && { leakbench: o.meta }),
  };
}
