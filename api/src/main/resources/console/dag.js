// The DAG: every repo and pipeline, edges input repo -> pipeline -> output repo, each pipeline coloured by
// its last job's state, refreshed live. Cytoscape.js lays the graph out and draws it (graph.js); the list
// under it holds the same nodes as buttons, for the keyboard.
import { request, enc, apiPath, jobsPath } from './api.js';
import { el, link, badge, table, fmtTime, fmtBytes, fmtDuration, shortId, STATE_COLOURS, add, reset } from './util.js';
import { openPanel, showError } from './ui.js';
import { stateButtons } from './pipelines.js';
import { graph, graphLibrary } from './graph.js';

const REPO_COLOUR = '#455a64';

export async function dagView(ctx) {
  const [first] = await Promise.all([request('/api/v1/dag'), graphLibrary()]);
  performance.mark('sluice:data');
  const chartBox = el('div', { class: 'chart dag', id: 'dag-chart', role: 'img', 'aria-label': 'DAG of repos and pipelines' });
  const nodeList = el('ul', { class: 'node-list', id: 'dag-nodes' });
  add(ctx.root, el('h1', {}, 'Repos and pipelines'),
    el('p', { class: 'muted' }, 'Input repo → pipeline → output repo. Pipelines are coloured by their last job. Click a node, or use the buttons below.'),
    legend(), chartBox, el('h2', { class: 'sr-only' }, 'Nodes'), nodeList);
  let lastKey = '';
  let dag = null;
  const drawn = await graph(chartBox, openNode);

  function openNode(id) {
    const [kind, name] = [id.slice(0, id.indexOf(':')), id.slice(id.indexOf(':') + 1)];
    (kind === 'repo' ? repoPanel(name) : pipelinePanel(name, dag)).catch(e => showError(e.message));
  }

  let painted = null; // the last drawing, once on the screen

  async function refresh(given) {
    dag = given || await request('/api/v1/dag');
    const key = JSON.stringify(dag.pipelines.map(p => [p.name, p.state, p.lastJobState, p.inputs])) + dag.repos.map(r => r.name);
    if (key === lastKey) {
      return;
    }
    lastKey = key;
    const all = nodes(dag);
    painted = drawn.draw(all, edges(dag, new Set(all.map(n => n.id))));
    reset(nodeList, ...all.map(n => el('li', {},
      el('button', { type: 'button', class: 'node ' + n.kind, dataset: { node: n.id, kind: n.kind, state: n.state || '' },
        onclick: () => openNode(n.id) },
      el('span', { class: 'swatch', style: `background:${n.colour}` }), `${n.kind} ${n.name}`,
      n.kind === 'pipeline' ? [' ', badge(n.state)] : null))));
  }

  await refresh(first);
  await painted;
  ctx.live(() => refresh(), 1500);
}

function legend() {
  const states = ['JOB_SUCCESS', 'JOB_RUNNING', 'JOB_CREATED', 'JOB_FAILURE', 'JOB_KILLED', 'JOB_UNRUNNABLE'];
  return el('p', { class: 'legend' }, el('span', {}, el('span', { class: 'swatch', style: `background:${REPO_COLOUR}` }), 'repo'),
    states.map(s => el('span', {}, el('span', { class: 'swatch', style: `background:${STATE_COLOURS[s]}` }), s.slice(4).toLowerCase())),
    el('span', {}, el('span', { class: 'swatch paused' }), 'paused'));
}

function nodes(dag) {
  const out = dag.repos.map(r => ({ id: 'repo:' + r.name, kind: 'repo', shape: 'repo', name: r.name, label: r.name, colour: REPO_COLOUR }));
  for (const p of dag.pipelines) {
    out.push({ id: 'pipeline:' + p.name, kind: 'pipeline', shape: 'pipeline', name: p.name, label: '⚙ ' + p.name, state: p.lastJobState,
      colour: STATE_COLOURS[p.lastJobState] || '#9e9e9e', border: p.state === 'PIPELINE_PAUSED' ? '#ef6c00' : null });
  }
  return out;
}

function edges(dag, known) {
  const out = [];
  for (const p of dag.pipelines) {
    for (const input of p.inputs) {
      if (known.has('repo:' + input)) {
        out.push({ from: 'repo:' + input, to: 'pipeline:' + p.name });
      }
    }
    if (known.has('repo:' + p.output)) {
      out.push({ from: 'pipeline:' + p.name, to: 'repo:' + p.output });
    }
  }
  return out;
}

async function repoPanel(name) {
  const [repo, commits, branches] = await Promise.all([
    request(apiPath('repos', name)),
    request(`${apiPath('repos', name)}/commits?limit=5`),
    request(`${apiPath('repos', name)}/branches`),
  ]);
  openPanel('Repo ' + name, el('div', {},
    el('p', {}, repo.description || el('span', { class: 'muted' }, 'no description')),
    el('dl', {}, el('dt', {}, 'Size'), el('dd', {}, fmtBytes(repo.sizeBytes)), el('dt', {}, 'Created'), el('dd', {}, fmtTime(repo.created)),
      el('dt', {}, 'Branches'), el('dd', {}, branches.map(b => el('span', { class: 'chip' }, b.name + (b.head ? ' @ ' + shortId(b.head) : ''))))),
    el('h3', {}, 'Latest commits'),
    table([['Commit', c => link(`#/repos/${enc(name)}/commit/${enc(c.id)}`, shortId(c.id))],
      ['Finished', c => c.finished ? fmtTime(c.finished) : 'open'],
      ['', c => link(`#/lineage/${enc(name)}/${enc(c.id)}`, 'lineage')]], commits, { empty: 'No commits yet.' }),
    el('p', {}, link(`#/repos/${enc(name)}`, 'All commits and branches →'))));
}

async function pipelinePanel(name, dag) {
  const [pipeline, jobs] = await Promise.all([
    request(apiPath('pipelines', name)),
    request(jobsPath(name, { limit: 5 })),
  ]);
  const inputs = dag?.pipelines.find(p => p.name === name)?.inputs || [];
  openPanel('Pipeline ' + name, el('div', {},
    el('p', {}, pipeline.description || ''),
    el('dl', {}, el('dt', {}, 'State'), el('dd', {}, pipeline.state), el('dt', {}, 'Last job'), el('dd', {}, badge(pipeline.lastJobState)),
      el('dt', {}, 'Version'), el('dd', {}, String(pipeline.version)),
      el('dt', {}, 'Reads'), el('dd', {}, inputs.map(i => el('span', { class: 'chip' }, i))),
      el('dt', {}, 'Writes'), el('dd', {}, el('span', { class: 'chip' }, name))),
    stateButtons(pipeline, () => pipelinePanel(name, dag).catch(e => showError(e.message))),
    el('h3', {}, 'Latest jobs'),
    table([['Job', j => link(`#/jobs/${enc(j.id)}`, shortId(j.id))], ['State', j => badge(j.state)],
      ['Duration', j => fmtDuration(j.started || j.created, j.finished)]], jobs, { empty: 'No jobs yet.' }),
    el('p', {}, link(`#/pipelines/${enc(name)}`, 'Spec and versions →'), ' · ', link(`#/jobs?pipeline=${enc(name)}`, 'All jobs →'))));
}
