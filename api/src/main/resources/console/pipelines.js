// Pipelines: the list, one pipeline's spec in every version with the diff between two, stop/start, and
// create/update from a JSON editor that shows the spec parser's refusal inline.
import { request, enc, query, oneLine, apiPath, jobsPath, qualified, inEveryProject } from './api.js';
import { el, link, table, badge, fmtTime, lineDiff, diffView, pretty, add, reset } from './util.js';
import { showError } from './ui.js';
import { jobColumns } from './jobs.js';

const TEMPLATE = {
  pipeline: { name: 'copy' },
  description: 'Copies every file of the input repo.',
  transform: { cmd: ['sh', '-c', 'cp -r /pfs/in/. /pfs/out/'] },
  input: { pfs: { repo: 'training', glob: '/*', name: 'in' } },
};

/** Stop and start buttons for one pipeline; `after` runs once the state changed. */
export function stateButtons(pipeline, after) {
  const act = verb => request(`${apiPath('pipelines', qualified(pipeline))}/${verb}`, { method: 'POST' })
    .then(after).catch(e => showError(e.message));
  return el('p', { class: 'buttons' },
    el('button', { type: 'button', id: 'pipeline-stop', disabled: pipeline.state === 'PIPELINE_PAUSED', onclick: () => act('stop') }, 'Stop'), ' ',
    el('button', { type: 'button', id: 'pipeline-start', disabled: pipeline.state !== 'PIPELINE_PAUSED', onclick: () => act('start') }, 'Start'));
}

export async function pipelineListView(ctx) {
  const pipelines = await inEveryProject('pipelines');
  add(ctx.root, el('h1', {}, 'Pipelines'),
    table([['Pipeline', p => link(`#/pipelines/${enc(p.name)}`, p.name)], ['State', p => p.state],
      ['Last job', p => badge(p.lastJobState)], ['Version', p => String(p.version)], ['Updated', p => fmtTime(p.updated)],
      ['Description', p => p.description || '']], pipelines, { empty: 'No pipelines yet.' }),
    el('h2', {}, 'Create a pipeline'),
    editor(pretty(TEMPLATE), 'Create', async text => {
      const created = await request('/api/v1/pipelines', { method: 'POST', body: text, contentType: 'application/json' });
      location.hash = `#/pipelines/${enc(qualified(created))}`;
    }));
}

export async function pipelineView(ctx) {
  const [name] = ctx.params;
  const [pipeline, versions, jobs] = await Promise.all([
    request(apiPath('pipelines', name)),
    request(`${apiPath('pipelines', name)}/versions`),
    request(jobsPath(name, { limit: 10 })),
  ]);
  const specs = new Map(versions.map(v => [v.version, pretty(v.spec)]));
  const pick = (id, selected) => el('select', { id }, versions.map(v =>
    el('option', { value: v.version, selected: v.version === selected }, 'version ' + v.version)));
  const newer = pick('version-new', pipeline.version);
  const older = pick('version-old', Math.max(1, pipeline.version - 1));
  const diffBox = el('div', { id: 'version-diff' });
  const showDiff = () => {
    const a = specs.get(Number(older.value));
    const b = specs.get(Number(newer.value));
    reset(diffBox, a === b ? el('p', { class: 'muted' }, 'The same spec.') : diffView(lineDiff(a, b)));
  };
  newer.addEventListener('change', showDiff);
  older.addEventListener('change', showDiff);
  const reprocess = el('input', { type: 'checkbox', id: 'reprocess' });
  add(ctx.root, 
    el('h1', {}, 'Pipeline ', el('code', {}, name)),
    el('p', {}, pipeline.description || ''),
    el('dl', { class: 'facts' }, el('dt', {}, 'State'), el('dd', { id: 'pipeline-state' }, pipeline.state),
      el('dt', {}, 'Last job'), el('dd', {}, badge(pipeline.lastJobState)),
      el('dt', {}, 'Version'), el('dd', {}, String(pipeline.version)),
      el('dt', {}, 'Created'), el('dd', {}, fmtTime(pipeline.created)), el('dt', {}, 'Updated'), el('dd', {}, fmtTime(pipeline.updated))),
    stateButtons(pipeline, () => { window.dispatchEvent(new HashChangeEvent('hashchange')); }),
    el('h2', {}, 'Latest jobs'), table(jobColumns(), jobs, { empty: 'No jobs yet.' }),
    el('p', {}, link(`#/jobs${query({ pipeline: name })}`, 'All jobs of this pipeline →')),
    el('h2', {}, 'Spec, version ', String(pipeline.version)),
    el('pre', { class: 'json', id: 'spec', tabindex: '0' }, specs.get(pipeline.version)),
    versions.length > 1 ? [el('h2', {}, 'Changes between versions'),
      el('p', {}, el('label', { for: 'version-old' }, 'From '), older, ' ', el('label', { for: 'version-new' }, 'to '), newer), diffBox] : null,
    el('h2', {}, 'Update'),
    el('p', {}, el('label', {}, reprocess, ' reprocess every datum (a new salt), not only new and changed ones')),
    editor(specs.get(pipeline.version), 'Update', async text => {
      await request(`${apiPath('pipelines', name)}${query({ reprocess: reprocess.checked || null })}`,
        { method: 'PUT', body: text, contentType: 'application/json' });
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    }));
  if (versions.length > 1) {
    showDiff();
  }
}

/** A JSON editor: checks the JSON as it is typed and shows the daemon's refusal under it, inline. */
function editor(initial, verb, submit) {
  const id = 'spec-editor-' + verb.toLowerCase();
  const area = el('textarea', { id, class: 'editor', rows: 18, spellcheck: 'false', 'aria-describedby': id + '-problem' });
  area.value = initial;
  const problem = el('p', { id: id + '-problem', class: 'error-text spec-error', role: 'status' });
  const check = () => {
    try {
      JSON.parse(area.value);
      problem.textContent = '';
      return true;
    } catch (e) {
      problem.textContent = 'Not valid JSON: ' + oneLine(e.message);
      return false;
    }
  };
  area.addEventListener('input', check);
  const button = el('button', { type: 'submit' }, verb);
  return el('form', { class: 'editor-form', onsubmit: async e => {
    e.preventDefault();
    if (!check()) {
      area.focus();
      return;
    }
    button.disabled = true;
    try {
      await submit(area.value);
      problem.textContent = '';
    } catch (err) {
      problem.textContent = oneLine(err.message);
      area.focus();
    } finally {
      button.disabled = false;
    }
  } }, el('label', { for: id }, 'Spec (JSON, Pachyderm format)'), area, problem, button);
}
