/*
 * The live view's page: keeps the run so far from the server's event stream (src/live/
 * protocol.ts) and redraws the same charts as the report at most once a second.
 */
import type { LiveState } from '../../live/protocol.ts';
import type { LoadSecond, RunEvent, Sample, TargetInfo } from '../../rundir/schema.ts';
import { formatCount, formatDuration, formatMiB } from '../../analyse/format.ts';
import type { ChartData, ChartSummary } from '../chart-style.ts';
import { drawCharts, specsOf, type ChartsHolder, type Mounted, type Specs } from './interactive-charts.ts';

export interface LiveCounters {
  /** Messages received, of any kind. */
  messages: number;
  /** Full histories received: one per (re)connection. */
  histories: number;
  redraws: number;
  /** The state as the page knows it. */
  state?: LiveState;
}

const REDRAW_MS = 1000;

export function mountLive(doc: Document, holder: ChartsHolder & { live?: LiveCounters }): void {
  const counters: LiveCounters = { messages: 0, histories: 0, redraws: 0 };
  holder.live = counters;
  const view: LiveView = { doc, holder, counters, receivedAt: Date.now(), dirty: false, offline: false };
  const source = new EventSource('events');
  listen(source, view);
  source.onerror = () => {
    if (view.state?.end) return;
    view.offline = true;
    renderStatus(view);
  };
  setInterval(() => {
    if (view.state && !view.state.end) renderClock(view);
    if (view.dirty) render(view);
  }, REDRAW_MS);
}

/** What the page knows of the run, and of its own drawing, between messages. */
interface LiveView {
  doc: Document;
  holder: ChartsHolder & { live?: LiveCounters };
  counters: LiveCounters;
  state?: LiveState;
  /** When the state's `now` was last set by the server; the clock runs on from there. */
  receivedAt: number;
  /** Changed since the last redraw. */
  dirty: boolean;
  drawn?: { mounted: Mounted; specs: Specs };
  offline: boolean;
}

const byId = (doc: Document) => (id: string) => doc.getElementById(id)!;

/** Each kind of message applied to the state; a full history replaces it. */
function listen(source: EventSource, view: LiveView): void {
  const { counters } = view;
  const on = <T>(name: string, apply: (data: T, s: LiveState) => void) =>
    source.addEventListener(name, (e) => {
      counters.messages++;
      const data = JSON.parse((e as MessageEvent<string>).data) as T;
      if (name === 'history') {
        counters.histories++;
        view.state = data as LiveState;
        view.receivedAt = Date.now();
      } else if (view.state) {
        apply(data, view.state);
      }
      counters.state = view.state;
      view.offline = false;
      view.dirty = true;
      if (name === 'history' || name === 'end') render(view);
    });
  on<LiveState>('history', () => {});
  on<Sample>('sample', (d, s) => s.samples.push(d));
  on<LoadSecond>('load', (d, s) => s.load.push(d));
  on<RunEvent>('event', (d, s) => s.events.push(d));
  on<LiveState['run']>('run', (d, s) => (s.run = d));
  on<NonNullable<LiveState['progress']>>('progress', (d, s) => {
    s.progress = d;
    s.now = d.t;
    view.receivedAt = Date.now();
  });
  on<NonNullable<LiveState['analysis']>>('analysis', (d, s) => (s.analysis = d));
  on<NonNullable<LiveState['end']>>('end', (d, s) => {
    s.end = d;
    s.run.status = d.status;
    // The server is gone after this: reconnecting would only fail.
    source.close();
  });
}

function now(view: LiveView, s: LiveState): number {
  return s.end ? s.now : s.now + (Date.now() - view.receivedAt) / 1000;
}

function render(view: LiveView): void {
  const { state, doc, holder } = view;
  if (!state) return;
  view.dirty = false;
  renderStatus(view);
  renderClock(view);
  renderProgress(doc, state);
  renderCounts(doc, state);
  renderGrowth(doc, state);
  renderEvents(doc, state);
  renderEnd(doc, state);
  const latest = state.samples.at(-1)?.t ?? 0;
  const data: ChartData = {
    // A watched run draws the phases found so far; run.json has them only at its end.
    run: { phases: state.run.found ?? state.run.phases },
    samples: state.samples,
    load: state.load,
    probes: [],
    events: state.events,
  };
  const summary: ChartSummary = {
    scenario: state.run.scenario,
    target: { kind: 'attach', label: state.run.target, url: '' } as TargetInfo,
    headline:
      state.end?.headline ?? `live view: updated as samples arrive (${formatCount(state.samples.length)} so far)`,
    durationS: Math.max(latest, state.end ? 0 : now(view, state)),
    load: [],
  };
  const specs = specsOf(data, summary);
  holder.charts = drawCharts(doc, specs, holder, view.drawn);
  view.drawn = { mounted: holder.charts, specs };
  view.counters.redraws++;
  doc.body.dataset.samples = String(state.samples.length);
  doc.body.dataset.status = state.end ? state.end.status : state.run.status;
}

function renderStatus(view: LiveView): void {
  const { state, offline } = view;
  const $ = byId(view.doc);
  const el = $('status');
  const status = state?.end?.status ?? state?.run.status ?? 'connecting';
  el.textContent = offline ? 'reconnecting…' : status;
  el.className = `badge ${offline ? 'offline' : status}`;
  if (state) $('title').textContent = `${state.run.scenario} · ${state.run.target} — live`;
}

function renderClock(view: LiveView): void {
  const { state } = view;
  if (!state) return;
  const t = now(view, state);
  const planned = state.run.plannedS !== undefined ? ` of about ${formatDuration(state.run.plannedS)}` : '';
  byId(view.doc)('clock').textContent = `t = ${formatDuration(t)}${planned}`;
}

function renderProgress(doc: Document, s: LiveState): void {
  const $ = byId(doc);
  const p = s.progress;
  const bar = $('progress') as HTMLProgressElement;
  const running = s.run.phases.find((ph) => ph.startT !== undefined && ph.endT === undefined);
  if (!p || !running || p.phase !== running.name) {
    bar.hidden = true;
    $('phase').textContent = running ? `phase ${running.name} (${running.kind})` : s.end ? '' : 'between phases';
    $('progress-text').textContent = '';
    return;
  }
  $('phase').textContent = `phase ${p.phase} (${running.kind})`;
  const samples =
    (p.samples === undefined ? '' : `, ${formatCount(p.samples)} samples`) +
    (p.note === undefined ? '' : `; ${p.note}`);
  // A watched phase until a signal has no known end: elapsed time and no bar.
  bar.hidden = p.total === undefined;
  if (p.total === undefined) {
    $('progress-text').textContent = `${formatCount(p.value)} s${samples}`;
    return;
  }
  bar.max = p.total;
  bar.value = p.value;
  $('progress-text').textContent =
    (p.unit === 'req'
      ? `${formatCount(p.value)} / ${formatCount(p.total)} requests`
      : `${formatCount(p.value)} / ${formatCount(p.total)} s`) + samples;
}

function renderCounts(doc: Document, s: LiveState): void {
  const $ = byId(doc);
  const rows = new Map<string, { completed: number; errors: number; timeouts: number; non2xx: number }>();
  for (const l of s.load) {
    const r = rows.get(l.phase) ?? { completed: 0, errors: 0, timeouts: 0, non2xx: 0 };
    r.completed += l.completed;
    r.errors += l.errors;
    r.timeouts += l.timeouts;
    r.non2xx += l.non2xx;
    rows.set(l.phase, r);
  }
  const last = s.samples.at(-1);
  const rss = last?.vmRss ?? last?.processRss ?? last?.cgroupMemory;
  const heap = last?.heapInuse;
  const cells = (vals: string[], tag = 'td') =>
    `<tr>${vals.map((v, i) => `<${tag}${i > 0 && tag === 'td' ? ' class="num"' : ''}>${escape(v)}</${tag}>`).join('')}</tr>`;
  const table =
    rows.size === 0
      ? '<p>No load recorded yet.</p>'
      : `<table id="counts-table">${cells(['phase', 'responses', 'errors', 'timeouts', 'non-2xx'], 'th')}${[...rows].map(([phase, r]) => cells([phase, formatCount(r.completed), formatCount(r.errors), formatCount(r.timeouts), formatCount(r.non2xx)])).join('')}</table>`;
  const memory = `${formatCount(s.samples.length)} samples${rss !== undefined ? ` · RSS now ${formatMiB(rss)}` : ''}${heap !== undefined ? ` · Go heap in use ${formatMiB(heap)}` : ''}`;
  const warnings = s.events.filter((e) => e.type === 'warning').length;
  $('counts').innerHTML =
    `<p id="memory-now">${escape(memory)}${warnings > 0 ? ` · <strong>${warnings} warning${warnings === 1 ? '' : 's'}</strong>` : ''}</p>${table}`;
}

function renderGrowth(doc: Document, s: LiveState): void {
  const $ = byId(doc);
  const a = s.analysis;
  const el = $('growth-text');
  if (!a) {
    el.textContent = 'computed every few seconds while this page is open; waiting for samples';
    return;
  }
  const rates = a.rates
    .map((r) => `<li>${escape(`${r.figure} during ${r.window}: ${r.text}${r.trend ? ` — ${r.trend}` : ''}`)}</li>`)
    .join('');
  el.innerHTML = `${escape(`at t = ${formatDuration(a.t)} over ${formatCount(a.samples)} samples: verdict so far ${a.verdict.kind}`)}${a.note ? escape(` (${a.note})`) : ''}<ul>${rates}</ul><small>${escape(a.verdict.summary)}</small>`;
}

function renderEvents(doc: Document, s: LiveState): void {
  const $ = byId(doc);
  const shown = s.events.slice(-50).reverse();
  $('events').innerHTML = shown
    .map(
      (e) =>
        `<li class="${e.type}">${escape(`${formatDuration(e.t)} ${e.type}${e.phase ? ` ${e.phase}` : ''}${e.message ? `: ${e.message}` : ''}`)}</li>`,
    )
    .join('');
}

function renderEnd(doc: Document, s: LiveState): void {
  const $ = byId(doc);
  if (!s.end) return;
  const e = s.end;
  $('end').innerHTML =
    `<p class="growth" id="end-text"><strong>${escape(`run ${e.status}`)}</strong>${escape(e.endReason ? `: ${e.endReason}` : '')}${e.report ? ` — report: <code>${escape(e.report)}</code>` : ''}${e.headline ? `<br>${escape(e.headline)}` : ''}</p>`;
  ($('progress') as HTMLProgressElement).hidden = true;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
