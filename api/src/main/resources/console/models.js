// The recommender: every model version (a commit of the train repo) with its metrics.json in a table and
// plotted over versions (uPlot), and which model each prediction file was made with; refreshed live.
import { request, enc, query, apiPath, ApiError } from './api.js';
import { el, link, table, pager, fmtTime, fmtNumber, shortId, add, reset } from './util.js';

const MODEL_REPO = 'train';
const PREDICT_REPO = 'predict';
const MODELS_PAGE = 20;
const FILES_SHOWN = 50;

export async function modelsView(ctx) {
  const offset = Number(ctx.query.get('offset') || 0);
  const uPlotLoading = import('uplot');
  const models = el('section', { id: 'models', 'aria-labelledby': 'models-title' });
  const chartBox = el('div', { class: 'chart metrics', id: 'metrics-chart', role: 'img', 'aria-label': 'Held-out RMSE and MAE over model versions' });
  const predictions = el('section', { id: 'predictions', 'aria-labelledby': 'predictions-title' });
  add(ctx.root, el('h1', {}, 'Recommender models'),
    el('p', { class: 'muted' }, 'Each model is a commit of the ', link(`#/repos/${MODEL_REPO}`, MODEL_REPO),
      ' repo, written by the train pipeline with its metrics.json.'),
    el('h2', { id: 'models-title' }, 'Model versions'), chartBox, models,
    el('h2', { id: 'predictions-title' }, 'Predictions and their models'), predictions);
  const metrics = new Map();
  let plot = null;
  let lastKey = null;

  const refresh = async () => {
    const [commits, predictHead] = await Promise.all([
      optional(request(`${apiPath('repos', MODEL_REPO)}/commits${query({ limit: MODELS_PAGE, offset })}`), []),
      optional(request(`${apiPath('repos', PREDICT_REPO)}/commit${query({ ref: 'master' })}`), null),
    ]);
    const finished = commits.filter(c => c.finished);
    const key = finished.map(c => c.id).join() + '|' + (predictHead?.id || '');
    if (key === lastKey) {
      return;
    }
    await Promise.all(finished.filter(c => !metrics.has(c.id)).map(async c => {
      metrics.set(c.id, await optional(request(`${apiPath('repos', MODEL_REPO)}/files${query({ ref: c.id, path: '/metrics.json' })}`), null));
    }));
    lastKey = key;
    renderModels(finished);
    plot = renderChart((await uPlotLoading).default, finished, metrics, plot);
    await renderPredictions(predictHead);
  };

  function renderModels(commits) {
    const m = c => metrics.get(c.id) || {};
    reset(models, table([
      ['Model', c => link(`#/lineage/${MODEL_REPO}/${enc(c.id)}`, el('code', { dataset: { model: c.id } }, shortId(c.id)))],
      ['Committed', c => fmtTime(c.finished)],
      ['Mode', c => m(c).mode ?? ''],
      ['RMSE', c => fmtNumber(m(c).rmse)],
      ['MAE', c => fmtNumber(m(c).mae)],
      ['Ratings', c => fmtNumber(m(c).ratings)],
      ['New', c => fmtNumber(m(c).newRatings)],
      ['Users', c => fmtNumber(m(c).users)],
      ['Items', c => fmtNumber(m(c).items)],
      ['Held out', c => fmtNumber(m(c).heldOut)],
      ['Seconds', c => fmtNumber(m(c).seconds, 2)],
      ['Trained on', c => (c.provenance || []).filter(p => p.repo !== MODEL_REPO).map(p =>
        link(`#/repos/${enc(p.repo)}/commit/${enc(p.id)}`, el('code', {}, `${p.repo}@${shortId(p.id)}`)))],
    ], commits, { empty: 'No model yet: the train pipeline writes one when the training repo gets a commit.' }),
    pager(o => `#/models${query({ offset: o || null })}`, offset, MODELS_PAGE, commits.length) || '');
  }

  async function renderPredictions(head) {
    if (!head) {
      reset(predictions, el('p', { class: 'muted' }, 'No predictions yet: POST /predict writes a request.'));
      return;
    }
    const model = (head.provenance || []).find(p => p.repo === MODEL_REPO);
    const files = (await request(`${apiPath('repos', PREDICT_REPO)}/files/list${query({ ref: head.id, path: '/' })}`))
      .filter(f => f.type === 'FILE');
    const shown = files.slice(-FILES_SHOWN).reverse();
    reset(predictions, 
      el('p', {}, 'The newest predict commit ', link(`#/repos/${PREDICT_REPO}/commit/${enc(head.id)}`, el('code', {}, shortId(head.id))),
        ' holds every prediction file, each made with model ',
        model ? link(`#/lineage/${MODEL_REPO}/${enc(model.id)}`, el('code', {}, shortId(model.id))) : 'unknown',
        ' (a new model re-predicts every request).'),
      table([
        ['Prediction file', f => link(`#/repos/${PREDICT_REPO}/commit/${enc(head.id)}${query({ path: f.path })}`, f.path)],
        ['Model', () => model ? el('code', {}, shortId(model.id)) : ''],
        ['', f => link(`#/lineage/${PREDICT_REPO}/${enc(head.id)}${query({ file: f.path })}`, el('span', { dataset: { lineage: f.path } }, 'lineage'))],
      ], shown, { empty: 'No prediction files.' }),
      files.length > FILES_SHOWN ? el('p', { class: 'muted' }, `The newest ${FILES_SHOWN} of ${files.length} files.`) : null);
  }

  await refresh();
  ctx.live(refresh, 2000);
}

/** The value of `promise`, or `fallback` when the API says 404 (no such repo, file or commit yet). */
async function optional(promise, fallback) {
  try {
    return await promise;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      return fallback;
    }
    throw e;
  }
}

/** RMSE and MAE over the versions shown, oldest first; the plot is made once and then given new data. */
function renderChart(uPlot, commits, metrics, old) {
  const rows = commits.slice().reverse();
  const data = [
    rows.map(c => new Date(c.finished).getTime() / 1000),
    rows.map(c => valueOf(c, 'rmse')),
    rows.map(c => valueOf(c, 'mae')),
  ];
  function valueOf(c, field) {
    const v = metrics.get(c.id)?.[field];
    return typeof v === 'number' ? v : null;
  }
  if (old) {
    old.setData(data);
    return old;
  }
  const box = document.getElementById('metrics-chart');
  const width = () => Math.max(280, box.clientWidth);
  const plot = new uPlot({
    width: width(), height: 220,
    scales: { x: { time: true } },
    series: [{}, { label: 'RMSE', stroke: '#1565c0', width: 2, points: { show: true, size: 7 } },
      { label: 'MAE', stroke: '#2e7d32', width: 2, points: { show: true, size: 7 } }],
    axes: [{}, { label: 'held-out error', size: 60 }],
  }, data, box);
  new ResizeObserver(() => plot.setSize({ width: width(), height: 220 })).observe(box);
  return plot;
}
