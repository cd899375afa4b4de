// Health and statistics: the daemon's health answer, and per endpoint its calls per second (a small live
// uPlot chart drawn from the change of its total between two reads of /api/v1/statistics) and latencies.
import { request } from './api.js';
import { el, fmtNumber, add } from './util.js';

const EVERY_MS = 2000;
const POINTS = 60;

export async function healthView(ctx) {
  const uPlotLoading = import('uplot');
  const [health, first] = await Promise.all([request('/api/v1/health'), request('/api/v1/statistics')]);
  const uPlot = (await uPlotLoading).default;
  const rows = el('tbody', {});
  add(ctx.root, el('h1', {}, 'Health and statistics'),
    el('dl', { class: 'facts', id: 'health' }, Object.entries(health).map(([k, v]) => [el('dt', {}, k), el('dd', {}, String(v))])),
    el('h2', {}, 'Endpoints'),
    el('p', { class: 'muted' }, `Calls per second, read every ${EVERY_MS / 1000} s; latencies over each endpoint's most recent calls.`),
    el('div', { class: 'table-wrap' }, el('table', { id: 'statistics' },
      el('thead', {}, el('tr', {}, ['Endpoint', 'Calls per second', 'This minute', 'Total', 'p50 ms', 'p95 ms', 'p99 ms']
        .map(h => el('th', { scope: 'col' }, h)))), rows)));
  const series = new Map(); // endpoint -> { times, rates, plot, cells }
  let previous = first;
  let previousAt = Date.now() / 1000;

  const draw = (stats, now) => {
    for (const [name, s] of Object.entries(stats)) {
      if (!s['total calls']) {
        continue;
      }
      let row = series.get(name);
      if (!row) {
        const chartCell = el('td', { class: 'spark' });
        const cells = [1, 2, 3, 4, 5].map(() => el('td', { class: 'num' }));
        add(rows, el('tr', { dataset: { endpoint: name } }, el('th', { scope: 'row' }, el('code', {}, name)), chartCell, cells));
        row = { times: [], rates: [], cells, plot: new uPlot({
          width: 180, height: 44, legend: { show: false }, cursor: { show: false },
          scales: { x: { time: true }, y: { range: (u, lo, hi) => [0, Math.max(1, hi)] } },
          axes: [{ show: false }, { show: false }],
          series: [{}, { stroke: '#1565c0', fill: 'rgba(21,101,192,0.15)', width: 1.5 }],
        }, [[], []], chartCell) };
        series.set(name, row);
      }
      const before = previous[name]?.['total calls'] ?? 0;
      const rate = Math.max(0, s['total calls'] - before) / Math.max(0.001, now - previousAt);
      row.times.push(now);
      row.rates.push(rate);
      if (row.times.length > POINTS) {
        row.times.shift();
        row.rates.shift();
      }
      row.plot.setData([row.times, row.rates]);
      [s['number of calls in current minute'], s['total calls'], s['p50 ms'], s['p95 ms'], s['p99 ms']].forEach((v, i) => { row.cells[i].textContent = fmtNumber(v, 2); });
      row.plot.root.title = `${name}: ${rate.toFixed(1)} calls/s`;
    }
  };
  draw(first, previousAt);
  ctx.live(async () => {
    const stats = await request('/api/v1/statistics');
    const now = Date.now() / 1000;
    draw(stats, now);
    previous = stats;
    previousAt = now;
  }, EVERY_MS);
}
