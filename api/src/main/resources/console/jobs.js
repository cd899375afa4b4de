// Jobs: the list (one page, refreshed live), and one job with its datums and its logs, per job or per
// datum, following live while the job runs.
import { request, enc, query, jobsPath, inEveryProject } from './api.js';
import { el, link, table, pager, badge, fmtTime, fmtDuration, shortId, add, reset } from './util.js';
import { showError } from './ui.js';
import { PAGE } from './repos.js';

const TERMINAL = new Set(['JOB_SUCCESS', 'JOB_FAILURE', 'JOB_KILLED', 'JOB_UNRUNNABLE']);

export function jobColumns() {
  return [
    ['Job', j => link(`#/jobs/${enc(j.id)}`, el('code', { dataset: { job: j.id } }, shortId(j.id)))],
    ['Pipeline', j => link(`#/pipelines/${enc(j.pipeline)}`, j.pipeline)],
    ['Version', j => String(j.pipelineVersion)],
    ['State', j => badge(j.state)],
    ['Processed', j => String(j.datumsProcessed)],
    ['Skipped', j => String(j.datumsSkipped)],
    ['Recovered', j => String(j.datumsRecovered || 0)],
    ['Failed', j => String(j.datumsFailed)],
    ['Total', j => String(j.datumsTotal)],
    ['Created', j => fmtTime(j.created)],
    ['Duration', j => fmtDuration(j.started || j.created, j.finished)],
    ['Output', j => j.output ? link(`#/repos/${enc(j.output.repo)}/commit/${enc(j.output.id)}`, el('code', {}, shortId(j.output.id))) : ''],
  ];
}

export async function jobListView(ctx) {
  const pipeline = ctx.query.get('pipeline') || '';
  const offset = Number(ctx.query.get('offset') || 0);
  const here = (o, p = pipeline) => `#/jobs${query({ pipeline: p, offset: o || null })}`;
  const pipelines = await inEveryProject('pipelines');
  const filter = el('select', { id: 'job-pipeline', onchange: e => { location.hash = here(0, e.target.value); } },
    el('option', { value: '' }, 'every pipeline'),
    pipelines.map(p => el('option', { value: p.name, selected: p.name === pipeline }, p.name)));
  const list = el('div', { id: 'job-list' });
  add(ctx.root, el('h1', {}, 'Jobs'), el('p', {}, el('label', { for: 'job-pipeline' }, 'Pipeline '), filter), list);
  let last = '';
  const refresh = async () => {
    const jobs = await request(jobsPath(pipeline, { limit: PAGE, offset }));
    const key = JSON.stringify(jobs);
    if (key !== last) {
      last = key;
      reset(list, table(jobColumns(), jobs, { empty: 'No jobs yet.' }) , pager(here, offset, PAGE, jobs.length) || '');
    }
  };
  await refresh();
  ctx.live(refresh, 2000);
}

export async function jobView(ctx) {
  const [id] = ctx.params;
  const datum = ctx.query.get('datum') || '';
  const facts = el('div', { id: 'job-facts' });
  const datums = el('div', { id: 'job-datums' });
  const logBox = el('pre', { class: 'logs', id: 'job-logs', tabindex: '0', 'aria-live': 'polite' });
  const follow = el('input', { type: 'checkbox', id: 'follow', checked: true });
  const here = d => `#/jobs/${enc(id)}${query({ datum: d })}`;
  add(ctx.root, el('h1', {}, 'Job ', el('code', {}, shortId(id))), facts,
    el('h2', {}, 'Datums'), datums,
    el('h2', {}, datum ? ['Logs of datum ', el('code', {}, shortId(datum)), ' ', link(here(''), '(all datums)')] : 'Logs'),
    el('p', {}, el('label', {}, follow, ' follow while the job runs')), logBox);
  let shown = 0;
  let job = null;
  const refresh = async () => {
    const [j, ds, lines] = await Promise.all([
      request(`/api/v1/jobs/${enc(id)}`),
      request(`/api/v1/jobs/${enc(id)}/datums`),
      request(`/api/v1/logs${query({ job: id, datum })}`),
    ]);
    job = j;
    reset(facts, el('dl', { class: 'facts' },
      el('dt', {}, 'State'), el('dd', {}, badge(j.state), j.reason ? ' ' + j.reason : ''),
      el('dt', {}, 'Pipeline'), el('dd', {}, link(`#/pipelines/${enc(j.pipeline)}`, j.pipeline), ` version ${j.pipelineVersion}`),
      el('dt', {}, 'Datums'), el('dd', {}, `${j.datumsProcessed} processed, ${j.datumsSkipped} skipped, ${j.datumsRecovered || 0} recovered, ${j.datumsFailed} failed of ${j.datumsTotal}`),
      el('dt', {}, 'Created'), el('dd', {}, fmtTime(j.created)),
      el('dt', {}, 'Duration'), el('dd', {}, fmtDuration(j.started || j.created, j.finished)),
      el('dt', {}, 'Inputs'), el('dd', {}, (j.inputs || []).map(i => el('a', { class: 'chip', href: `#/repos/${enc(i.repo)}/commit/${enc(i.id)}` },
        `${i.repo}@${shortId(i.id)}`))),
      el('dt', {}, 'Output'), el('dd', {}, j.output ? [link(`#/repos/${enc(j.output.repo)}/commit/${enc(j.output.id)}`,
        `${j.output.repo}@${shortId(j.output.id)}`), ' · ', link(`#/lineage/${enc(j.output.repo)}/${enc(j.output.id)}`, 'lineage')] : 'none yet')),
    TERMINAL.has(j.state) ? null : el('button', { type: 'button', onclick: () =>
      request(`/api/v1/jobs/${enc(id)}/stop`, { method: 'POST' }).then(refresh).catch(e => showError(e.message)) }, 'Stop job'));
    reset(datums, table([
      ['Datum', d => el('code', {}, shortId(d.id))],
      ['State', d => badge(d.state)],
      ['Files', d => (d.files || []).slice(0, 5).join(', ') + ((d.files || []).length > 5 ? ` and ${d.files.length - 5} more` : '')],
      ['Attempts', d => String(d.attempts)],
      ['Error', d => d.error || ''],
      ['', d => link(here(d.id), 'logs')],
    ], ds, { empty: 'No datums yet.' }));
    if (lines.length < shown) {
      reset(logBox);
      shown = 0;
    }
    add(logBox, ...lines.slice(shown).map(l => el('span', { class: l.stream === 'stderr' ? 'stderr' : 'stdout' },
      `${fmtTime(l.time)} ${shortId(l.datumId)} ${l.message}\n`)));
    if (lines.length > shown && follow.checked) {
      logBox.scrollTop = logBox.scrollHeight;
    }
    shown = lines.length;
    if (!lines.length) {
      logBox.textContent = TERMINAL.has(j.state) ? 'No log lines.' : 'No log lines yet.';
    } else if (logBox.firstChild && logBox.firstChild.nodeType === Node.TEXT_NODE) {
      logBox.firstChild.remove();
    }
  };
  await refresh();
  ctx.live(async () => {
    if (job && !TERMINAL.has(job.state) && follow.checked) {
      await refresh();
    }
  }, 1000);
}
