/** The live view's page: markup that live-page.ts in src/report/browser/ fills from the event stream. */
export function livePage(bundle: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>leakbench live</title>
<style>
body { font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', sans-serif; color: #222; margin: 1.2rem auto; max-width: 1240px; padding: 0 1rem; }
h1 { font-size: 1.35rem; margin: 0 0 .3rem; }
.bar { display: flex; gap: 1.2rem; flex-wrap: wrap; align-items: baseline; }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: .7rem; font-size: .85rem; font-weight: 600; background: #e8eef6; color: #1f5f8f; }
.badge.completed { background: #e6f4ea; color: #1a7f37; } .badge.failed, .badge.interrupted { background: #fde8e8; color: #b42318; }
.badge.offline { background: #fff4e0; color: #8a4b00; }
progress { width: 22rem; height: 1rem; vertical-align: middle; }
table { border-collapse: collapse; font-size: 13px; margin: .4rem 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.growth { border-left: 4px solid #b7791f; background: #fffaf0; padding: .4rem .9rem; margin: .7rem 0; }
.growth .provisional { color: #8a4b00; font-weight: 600; }
.chart { position: relative; margin: .6rem 0; }
.hint { color: #666; font-size: 12px; }
.events { font-size: 12px; color: #444; max-height: 9rem; overflow-y: auto; }
.events .warning { color: #8a4b00; }
button { font-size: 12px; }
</style>
</head>
<body>
<h1 id="title">leakbench live</h1>
<div class="bar"><span id="status" class="badge">connecting</span><span id="clock"></span><span id="phase"></span><progress id="progress" max="1" value="0" hidden></progress><span id="progress-text"></span></div>
<div id="end"></div>
<div id="counts"></div>
<div class="growth" id="growth"><span class="provisional">provisional</span> growth so far: <span id="growth-text">waiting for samples</span></div>
<div class="chart"><canvas id="memory-chart" role="img" aria-label="Memory over time"></canvas></div>
<div class="chart"><canvas id="load-chart" role="img" aria-label="Load over time"></canvas></div>
<p class="hint">Scroll over a chart to zoom the time axis, drag to pan, shift-drag to zoom to a range, double-click to reset; click a legend entry to hide or show it.</p>
<h2 style="font-size:1rem">Events</h2>
<ul class="events" id="events"></ul>
<script>${bundle}</script>
<script>leakbench.mountLive(document);</script>
</body>
</html>
`;
}
