import { UsageError } from '../errors.ts';
import { FIGURES, type RecordedPrometheusOptions, type SampleFigure } from '../rundir/schema.ts';
import { durationMs, httpUrl } from './values.ts';

export type PrometheusQueries = Partial<Record<SampleFigure, string>>;

export interface PrometheusOptions {
  url: URL;
  queries: PrometheusQueries;
  /** Evaluation step of the range query. */
  stepMs: number;
  /**
   * Figures read only in case the server has them (the activity a watched run's phases are
   * found from): no series is no warning. The user's own --prometheus-query is never among them.
   */
  optional?: SampleFigure[];
}

/**
 * Activity of a pod or a selected job, for finding a watched run's phases (its CPU seconds and
 * requests answered) when the pack cannot see the process. Each is the first of several usual
 * series that has data: cAdvisor's container CPU, else the process's own; Micrometer's, the
 * OpenTelemetry convention's, else the common http_requests_total.
 */
function activityQueries(matchers: string, containers: boolean): PrometheusQueries {
  const on = (metric: string, extra = '') => `sum(${metric}{${matchers}${extra}})`;
  const cpu = [
    containers && on('container_cpu_usage_seconds_total', ',container!="",container!="POD"'),
    on('process_cpu_seconds_total'),
  ].filter(Boolean);
  const requests = [
    on('http_server_requests_seconds_count'),
    on('http_server_request_duration_seconds_count'),
    on('http_requests_total'),
  ];
  return { cpuSeconds: cpu.join(' or '), requestsServed: requests.join(' or ') };
}
const ACTIVITY: readonly SampleFigure[] = ['cpuSeconds', 'requestsServed'];

/** The flags of this feature as parseArgs gives them. */
export interface PrometheusFlagValues {
  'prometheus-url'?: string;
  'prometheus-query'?: string[];
  'prometheus-selector'?: string;
  'prometheus-step'?: string;
  pod?: string;
}

const FIGURE_KEYS = FIGURES.map((f) => f.key);

/**
 * --prometheus-url and its companions, checked together: which series to read must be known
 * before the run, because a mistake found only at the end would cost the whole run's wait.
 */
export function parsePrometheusFlags(v: PrometheusFlagValues, sampleIntervalMs: number): PrometheusOptions | undefined {
  if (v['prometheus-url'] === undefined) {
    for (const flag of ['pod', 'prometheus-selector', 'prometheus-query', 'prometheus-step'] as const) {
      if (v[flag] !== undefined)
        throw new UsageError(`--${flag}: only with --prometheus-url (the Prometheus server to read it from)`);
    }
    return undefined;
  }
  const url = httpUrl('prometheus-url', v['prometheus-url']);
  const pod = v.pod === undefined ? undefined : podArg(v.pod);
  const selector = v['prometheus-selector'] === undefined ? undefined : selectorArg(v['prometheus-selector']);
  const overrides: PrometheusQueries = {};
  for (const raw of v['prometheus-query'] ?? []) {
    const [figure, query] = queryArg(raw);
    if (overrides[figure] !== undefined) throw new UsageError(`--prometheus-query: ${figure} is given twice`);
    overrides[figure] = query;
  }
  const queries = {
    ...defaultPrometheusQueries({ ...(pod && { pod }), ...(selector !== undefined && { selector }) }),
    ...overrides,
  };
  if (Object.keys(queries).length === 0) {
    throw new UsageError(
      '--prometheus-url: also say which series to read: --pod NAME, --prometheus-selector \'job="x"\' or --prometheus-query figure=PROMQL',
    );
  }
  const stepMs =
    v['prometheus-step'] === undefined
      ? sampleIntervalMs
      : durationMs('prometheus-step', v['prometheus-step'], { min: 100, max: 3600_000 });
  const optional = ACTIVITY.filter((f) => queries[f] !== undefined && overrides[f] === undefined);
  return { url, queries, stepMs, ...(optional.length > 0 && { optional }) };
}

/** NAME or NAMESPACE/NAME; Kubernetes names are DNS labels, so nothing here needs quoting in PromQL. */
function podArg(raw: string): { name: string; namespace?: string } {
  const m = /^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/)?([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(raw);
  if (!m)
    throw new UsageError(
      `--pod: expected a pod name or NAMESPACE/NAME (lower-case letters, digits, - and .), got ${JSON.stringify(raw)}`,
    );
  return { name: m[3]!, ...(m[1] !== undefined && { namespace: m[1] }) };
}

/** Label matchers as written inside {...}; the braces are the pack's. */
function selectorArg(raw: string): string {
  const value = raw.trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*\s*(=|!=|=~|!~)\s*"/.test(value) || /[{}]/.test(value)) {
    throw new UsageError(
      `--prometheus-selector: expected label matchers without braces, like job="gin",instance="10.0.0.5:8080", got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

function queryArg(raw: string): [SampleFigure, string] {
  const eq = raw.indexOf('=');
  const figure = eq < 0 ? raw : raw.slice(0, eq);
  if (eq < 0 || !(FIGURE_KEYS as string[]).includes(figure)) {
    throw new UsageError(
      `--prometheus-query: expected figure=PROMQL with a figure among ${FIGURE_KEYS.join(', ')}, got ${JSON.stringify(raw)}`,
    );
  }
  const query = raw.slice(eq + 1).trim();
  if (query === '') throw new UsageError(`--prometheus-query: ${figure}= has no query`);
  return [figure as SampleFigure, query];
}

/**
 * The queries used unless --prometheus-query overrides one. The cadvisor series (kubelet) has
 * one series per container of the pod; the sum is the pod's working set. The Go and process
 * series come from the target's own /metrics as the server scraped it; a pod label is what
 * Kubernetes service discovery usually attaches, and `selector` replaces it for other setups.
 */
export function defaultPrometheusQueries({
  pod,
  selector,
}: {
  pod?: { name: string; namespace?: string };
  selector?: string;
}): PrometheusQueries {
  const podMatchers = pod
    ? [pod.namespace !== undefined && `namespace="${pod.namespace}"`, `pod="${pod.name}"`].filter(Boolean).join(',')
    : undefined;
  const queries: PrometheusQueries = {};
  if (podMatchers !== undefined) {
    // container!="" drops the pod-level cgroup series and "POD" the pause container, either of
    // which would count the pod's memory twice in the sum.
    queries.cgroupMemory = `sum(container_memory_working_set_bytes{${podMatchers},container!="",container!="POD"})`;
  }
  const go = selector ?? podMatchers;
  if (go !== undefined) {
    queries.processRss = `process_resident_memory_bytes{${go}}`;
    queries.heapInuse = `go_memstats_heap_inuse_bytes{${go}}`;
    queries.stackInuse = `go_memstats_stack_inuse_bytes{${go}}`;
    queries.goSys = `go_memstats_sys_bytes{${go}}`;
    queries.heapReleased = `go_memstats_heap_released_bytes{${go}}`;
    queries.goroutines = `go_goroutines{${go}}`;
    Object.assign(queries, activityQueries(go, podMatchers !== undefined && selector === undefined));
  }
  return queries;
}

/** What run.json keeps of them (the URL as a string). */
export function recordedPrometheusOptions(p: PrometheusOptions): RecordedPrometheusOptions {
  return { url: p.url.href, queries: p.queries, stepMs: p.stepMs, ...(p.optional && { optional: p.optional }) };
}
