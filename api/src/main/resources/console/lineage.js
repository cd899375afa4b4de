// Lineage of one commit: what it was computed from (upstream) and what was computed from it (downstream),
// as a graph (drawn by graph.js) and as tables; for a model its training commit, for a prediction its model
// and request.
import { request, enc, query, apiPath } from './api.js';
import { el, link, table, fmtTime, shortId, add } from './util.js';
import { graph, graphLibrary } from './graph.js';

const COLOURS = ['#1565c0', '#2e7d32', '#6a1b9a', '#ef6c00', '#00838f', '#ad1457', '#4e342e', '#455a64'];

export async function lineageView(ctx) {
  const [repo, id] = ctx.params;
  const file = ctx.query.get('file');
  const [lineage] = await Promise.all([request(`${apiPath('repos', repo)}/lineage${query({ ref: id })}`), graphLibrary()]);
  performance.mark('sluice:data');
  const c = lineage.commit;
  add(ctx.root, el('h1', {}, 'Lineage of ', el('code', {}, `${c.repo}@${shortId(c.id)}`)),
    el('p', { class: 'muted' }, c.description || '', ' ', fmtTime(c.finished), ' · ',
      link(`#/repos/${enc(c.repo)}/commit/${enc(c.id)}${query({ path: file })}`, file ? 'the file' : 'its files')),
    summary(lineage, file));
  const chartBox = el('div', { class: 'chart lineage', id: 'lineage-chart', role: 'img',
    'aria-label': 'Graph of the commits this one came from and the commits computed from it' });
  add(ctx.root, chartBox);
  const commitRow = [
    ['Commit', x => link(`#/lineage/${enc(x.repo)}/${enc(x.id)}`, el('code', { dataset: { commit: x.id } }, `${x.repo}@${shortId(x.id)}`))],
    ['Description', x => x.description],
    ['Finished', x => fmtTime(x.finished)],
    ['', x => link(`#/repos/${enc(x.repo)}/commit/${enc(x.id)}`, 'files')],
  ];
  add(ctx.root, el('h2', {}, 'Upstream (computed from)'),
    el('div', { id: 'lineage-upstream' }, table(commitRow, lineage.upstream, { empty: 'Nothing: this commit was written directly.' })),
    el('h2', {}, 'Downstream (computed from it)'),
    el('div', { id: 'lineage-downstream' }, table(commitRow, lineage.downstream, { empty: 'Nothing yet.' })),
    lineage.truncated ? el('p', { class: 'muted' }, 'Only the newest derived commits are shown.') : null);
  const byKey = new Map();
  const drawn = await graph(chartBox, key => {
    const x = byKey.get(key);
    location.hash = `#/lineage/${enc(x.repo)}/${enc(x.id)}`;
  });
  await drawn.draw(...drawing(lineage, byKey));
}

/** The sentence a user of the recommender asks for first. */
function summary(lineage, file) {
  const c = lineage.commit;
  const up = repo => lineage.upstream.find(x => x.repo === repo);
  const ref = x => link(`#/lineage/${enc(x.repo)}/${enc(x.id)}`, el('code', { class: 'ref', dataset: { repo: x.repo, commit: x.id } },
    `${x.repo}@${shortId(x.id)}`));
  const training = up('training');
  const model = up('train');
  const streaming = up('streaming');
  const parts = [];
  if (c.repo === 'train' && training) {
    parts.push('This model was trained on ', ref(training), '.');
  }
  if (c.repo === 'predict' && model) {
    parts.push('Predicted with model ', ref(model));
    if (training) {
      parts.push(' (trained on ', ref(training), ')');
    }
    if (streaming) {
      parts.push(' for the requests in ', ref(streaming));
      if (file) {
        parts.push(' ', link(`#/repos/streaming/commit/${enc(streaming.id)}${query({ path: file })}`, el('code', {}, file)));
      }
    }
    parts.push('.');
  }
  return parts.length ? el('p', { class: 'summary', id: 'lineage-summary' }, parts) : null;
}

/** The graph's nodes (every commit, coloured by repo, this one outlined) and edges; `byKey` learns each node's commit. */
function drawing(lineage, byKey) {
  const all = [...lineage.upstream, lineage.commit, ...lineage.downstream];
  const repos = [...new Set(all.map(x => x.repo))];
  const nodes = all.map(x => {
    const key = `${x.repo}@${x.id}`;
    byKey.set(key, x);
    return { id: key, label: `${x.repo}@${shortId(x.id)}`, shape: 'commit', colour: COLOURS[repos.indexOf(x.repo) % COLOURS.length],
      border: x === lineage.commit ? '#000' : null };
  });
  return [nodes, lineage.edges.filter(e => byKey.has(e.from) && byKey.has(e.to)).map(e => ({ from: e.from, to: e.to }))];
}
