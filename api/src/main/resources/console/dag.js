// The DAG: every repo and pipeline, edges input repo -> pipeline -> output repo, each pipeline coloured by
// its last job's state, refreshed live. ECharts lays the graph out (a left-to-right Sankey layout); the
// list under it holds the same nodes as buttons, for the keyboard.
import { request, enc } from './api.js';
import { el, link, badge, table, fmtTime, fmtBytes, fmtDuration, shortId, STATE_COLOURS, add, reset } from './util.js';
import { openPanel, showError } from './ui.js';
import { stateButtons } from './pipelines.js';

const REPO_COLOUR = '#455a64';

export async function dagView(ctx) {
  // the library and the data load at once: the first render waits for the slower of the two only
  const [echarts, first] = await Promise.all([import('echarts'), request('/api/v1/dag')]);
  const chartBox = el('div', { class: 'chart dag', id: 'dag-chart', role: 'img', 'aria-label': 'DAG of repos and pipelines' });
  const nodeList = el('ul', { class: 'node-list', id: 'dag-nodes' });
  add(ctx.root, el('h1', {}, 'Repos and pipelines'),
    el('p', { class: 'muted' }, 'Input repo → pipeline → output repo. Pipelines are coloured by their last job. Click a node, or use the buttons below.'),
    legend(), chartBox, el('h2', { class: 'sr-only' }, 'Nodes'), nodeList);
  const chart = echarts.init(chartBox, null, { renderer: 'canvas' });
  let lastKey = '';
  let dag = null;
  let narrow = isNarrow(chartBox);
  new ResizeObserver(() => {
    chart.resize();
    if (dag && narrow !== isNarrow(chartBox)) {
      narrow = !narrow;
      chart.setOption(option(dag, narrow), { notMerge: true });
    }
  }).observe(chartBox);

  chart.on('click', p => {
    if (p.dataType === 'node') {
      openNode(p.data.id);
    }
  });

  function openNode(id) {
    const [kind, name] = [id.slice(0, id.indexOf(':')), id.slice(id.indexOf(':') + 1)];
    (kind === 'repo' ? repoPanel(name) : pipelinePanel(name, dag)).catch(e => showError(e.message));
  }

  async function refresh(given) {
    dag = given || await request('/api/v1/dag');
    const key = JSON.stringify(dag.pipelines.map(p => [p.name, p.state, p.lastJobState, p.inputs])) + dag.repos.map(r => r.name);
    if (key === lastKey) {
      return;
    }
    lastKey = key;
    chart.setOption(option(dag, narrow), { notMerge: true });
    reset(nodeList, ...nodes(dag).map(n => el('li', {},
      el('button', { type: 'button', class: 'node ' + n.kind, dataset: { node: n.id, kind: n.kind, state: n.state || '' },
        onclick: () => openNode(n.id) },
      el('span', { class: 'swatch', style: `background:${n.itemStyle.color}` }), `${n.kind} ${n.label}`,
      n.kind === 'pipeline' ? [' ', badge(n.state)] : null))));
  }

  await refresh(first);
  ctx.live(() => refresh(), 1500);
}

function legend() {
  const states = ['JOB_SUCCESS', 'JOB_RUNNING', 'JOB_CREATED', 'JOB_FAILURE', 'JOB_KILLED', 'JOB_UNRUNNABLE'];
  return el('p', { class: 'legend' }, el('span', {}, el('span', { class: 'swatch', style: `background:${REPO_COLOUR}` }), 'repo'),
    states.map(s => el('span', {}, el('span', { class: 'swatch', style: `background:${STATE_COLOURS[s]}` }), s.slice(4).toLowerCase())));
}

function nodes(dag) {
  const out = dag.repos.map(r => ({ id: 'repo:' + r.name, kind: 'repo', label: r.name, itemStyle: { color: REPO_COLOUR } }));
  for (const p of dag.pipelines) {
    out.push({ id: 'pipeline:' + p.name, kind: 'pipeline', label: p.name, state: p.lastJobState,
      itemStyle: { color: STATE_COLOURS[p.lastJobState] || '#9e9e9e', borderColor: p.state === 'PIPELINE_PAUSED' ? '#ef6c00' : undefined,
        borderWidth: p.state === 'PIPELINE_PAUSED' ? 3 : 0 } });
  }
  return out;
}

/** A phone-width chart: smaller nodes and labels, each on a white ground so that a label over a link or a node reads. */
function isNarrow(box) {
  return box.clientWidth < 600;
}

function option(dag, narrow) {
  const data = nodes(dag).map(n => ({ ...n, name: n.id, value: 1 }));
  const known = new Set(data.map(n => n.id));
  const links = [];
  for (const p of dag.pipelines) {
    for (const input of p.inputs) {
      if (known.has('repo:' + input)) {
        links.push({ source: 'repo:' + input, target: 'pipeline:' + p.name, value: 1 });
      }
    }
    if (known.has('repo:' + p.output)) {
      links.push({ source: 'pipeline:' + p.name, target: 'repo:' + p.output, value: 1 });
    }
  }
  return {
    animation: false,
    tooltip: { formatter: p => p.dataType === 'node' ? `${p.data.kind} ${p.data.label}${p.data.state ? ': ' + p.data.state : ''}` : '' },
    series: [{
      type: 'sankey', left: 10, right: narrow ? 70 : 110, top: 20, bottom: 20, nodeWidth: narrow ? 12 : 22,
      nodeGap: 28, nodeAlign: 'left', draggable: false, layoutIterations: 32, data, links,
      label: { formatter: p => (p.data.kind === 'pipeline' ? '⚙ ' : '') + p.data.label, fontSize: narrow ? 13 : 14, color: '#212121',
        backgroundColor: 'rgba(255,255,255,0.9)', padding: [2, 4], borderRadius: 3 },
      lineStyle: { color: 'source', opacity: 0.25, curveness: 0.5 },
      emphasis: { focus: 'adjacency' },
    }],
  };
}

async function repoPanel(name) {
  const [repo, commits, branches] = await Promise.all([
    request(`/api/v1/repos/${enc(name)}`),
    request(`/api/v1/repos/${enc(name)}/commits?limit=5`),
    request(`/api/v1/repos/${enc(name)}/branches`),
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
    request(`/api/v1/pipelines/${enc(name)}`),
    request(`/api/v1/jobs?pipeline=${enc(name)}&limit=5`),
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
