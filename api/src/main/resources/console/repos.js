// Repos: the list, one repo's branches and commits (newest first, one page at a time), a file browser at
// any commit with previews, downloads, and the diff between two commits.
import { request, enc, query, apiPath, inEveryProject } from './api.js';
import { el, link, table, pager, fmtTime, fmtBytes, shortId, add } from './util.js';
import { showError } from './ui.js';

export const PAGE = 50;
/** Directory entries per page of the file browser. */
const FILES_PAGE = 100;
const PREVIEW_BYTES = 64 * 1024;
const IMAGE = /\.(png|jpe?g|gif|webp|svg|bmp)$/i;

export async function repoListView(ctx) {
  const repos = await inEveryProject('repos');
  add(ctx.root, el('h1', {}, 'Repos'),
    table([['Repo', r => link(`#/repos/${enc(r.name)}`, r.name)], ['Description', r => r.description],
      ['Branches', r => (r.branches || []).join(', ')], ['Size', r => fmtBytes(r.sizeBytes)], ['Created', r => fmtTime(r.created)]],
    repos, { empty: 'No repos yet: ./sluice create repo NAME' }));
}

export async function repoView(ctx) {
  const [name] = ctx.params;
  const branch = ctx.query.get('branch') || '';
  const offset = Number(ctx.query.get('offset') || 0);
  const [repo, branches, commits] = await Promise.all([
    request(apiPath('repos', name)),
    request(`${apiPath('repos', name)}/branches`),
    request(`${apiPath('repos', name)}/commits${query({ branch, limit: PAGE, offset })}`),
  ]);
  const here = (o, b = branch) => `#/repos/${enc(name)}${query({ branch: b, offset: o || null })}`;
  const newId = el('input', { id: 'diff-new', name: 'new', required: true, size: 12, value: commits[0]?.id || '' });
  const oldId = el('input', { id: 'diff-old', name: 'old', required: true, size: 12, value: commits[1]?.id || commits[0]?.parent || '' });
  add(ctx.root, 
    el('h1', {}, 'Repo ', el('code', {}, name)),
    el('p', {}, repo.description || '', ' ', el('span', { class: 'muted' }, fmtBytes(repo.sizeBytes))),
    el('nav', { class: 'chips', 'aria-label': 'Branches' }, el('span', { class: 'muted' }, 'Branch: '),
      el('a', { href: here(0, ''), class: 'chip', 'aria-current': branch === '' ? 'true' : null }, 'all'),
      branches.map(b => el('a', { href: here(0, b.name), class: 'chip', 'aria-current': b.name === branch ? 'true' : null },
        b.name, b.head ? el('span', { class: 'muted' }, ' @ ' + shortId(b.head)) : ' (no commit)'))),
    el('h2', {}, 'Commits'),
    table([
      ['Commit', c => link(`#/repos/${enc(name)}/commit/${enc(c.id)}`, el('code', {}, shortId(c.id)))],
      ['Branch', c => c.branch],
      ['Description', c => c.description],
      ['Finished', c => c.finished ? fmtTime(c.finished) : el('em', {}, 'open')],
      ['Size', c => fmtBytes(c.sizeBytes)],
      ['Provenance', c => (c.provenance || []).map(p => el('a', { class: 'chip', href: `#/repos/${enc(p.repo)}/commit/${enc(p.id)}` }, p.repo + '@' + shortId(p.id)))],
      ['', c => [link(`#/lineage/${enc(name)}/${enc(c.id)}`, 'lineage'),
        c.parent ? [' · ', link(`#/repos/${enc(name)}/diff${query({ new: c.id, old: c.parent })}`, 'diff')] : null]],
    ], commits, { empty: 'No commits yet.' }),
    pager(here, offset, PAGE, commits.length),
    el('form', { class: 'inline', onsubmit: e => {
      e.preventDefault();
      location.hash = `#/repos/${enc(name)}/diff${query({ new: newId.value.trim(), old: oldId.value.trim() })}`;
    } }, el('h2', {}, 'Diff two commits'), el('label', { for: 'diff-new' }, 'New '), newId, ' ',
    el('label', { for: 'diff-old' }, 'Old '), oldId, ' ', el('button', { type: 'submit' }, 'Diff')));
}

export async function browseView(ctx) {
  const [name, id] = ctx.params;
  const path = ctx.query.get('path') || '/';
  const [commit, info] = await Promise.all([
    request(`${apiPath('repos', name)}/commit${query({ ref: id })}`),
    request(`${apiPath('repos', name)}/files/inspect${query({ ref: id, path })}`),
  ]);
  const at = p => `#/repos/${enc(name)}/commit/${enc(id)}${query({ path: p })}`;
  add(ctx.root, 
    el('h1', {}, 'Files of ', el('code', {}, `${name}@${shortId(commit.id)}`)),
    el('p', { class: 'muted' }, commit.description || '', ' ', commit.finished ? 'finished ' + fmtTime(commit.finished) : 'open', ' · ',
      link(`#/repos/${enc(name)}`, 'commits'), ' · ', link(`#/lineage/${enc(name)}/${enc(commit.id)}`, 'lineage')),
    breadcrumbs(path, at));
  if (info.type === 'DIR') {
    // one page of the directory at a time: the API's cursor names where the next page starts
    const after = ctx.query.get('after');
    const response = await request(`${apiPath('repos', name)}/files/list${query({ ref: id, path, limit: FILES_PAGE, after })}`,
      { as: 'response' });
    const files = await response.json();
    add(ctx.root, table([
      ['Name', f => link(at(f.path), f.path.split('/').filter(Boolean).pop() + (f.type === 'DIR' ? '/' : ''))],
      ['Type', f => f.type === 'DIR' ? 'directory' : 'file'],
      ['Size', f => fmtBytes(f.size)],
    ], files, { empty: 'Empty directory.' }),
    cursorPager('files-pager', at(path), after, response, files.length));
    return;
  }
  add(ctx.root, el('p', {}, el('strong', {}, fmtBytes(info.size)), ' ',
    el('button', { type: 'button', onclick: () => download(name, id, path).catch(e => showError(e.message)) }, 'Download')));
  add(ctx.root, await preview(name, id, path, info.size));
}

/**
 * Links to the first and the next page of a cursor-paged listing (null when it fits one page); `href` is the
 * listing's own address, which already has a query, and `response` carries the next page's cursor.
 */
function cursorPager(id, href, after, response, count) {
  const next = response.headers.get('Sluice-Next-Cursor');
  const page = (cursor, ...label) => link(`${href}${cursor ? '&' + query({ after: cursor }).slice(1) : ''}`, ...label);
  return after || next ? el('nav', { class: 'pager', id, 'aria-label': 'Pages' },
    after ? page(null, '← First') : null, ' ',
    el('span', { class: 'muted' }, `${count} entries`, after ? ' after ' : '', after ? el('code', {}, after) : null), ' ',
    next ? page(next, 'Next →') : null) : null;
}

function breadcrumbs(path, at) {
  const parts = path.split('/').filter(Boolean);
  const crumbs = [link(at('/'), '/')];
  parts.forEach((p, i) => crumbs.push(' ', link(at('/' + parts.slice(0, i + 1).join('/')), p), i < parts.length - 1 ? ' /' : ''));
  return el('nav', { class: 'crumbs', 'aria-label': 'Path' }, crumbs);
}

function fileUrl(repo, ref, path, length) {
  return `${apiPath('repos', repo)}/files${query({ ref, path, length })}`;
}

async function download(repo, ref, path) {
  const blob = await request(fileUrl(repo, ref, path), { as: 'blob' });
  const a = el('a', { href: URL.createObjectURL(blob), download: path.split('/').pop() });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
}

/** Text, CSV/TSV as a table, JSON pretty-printed, images as images; binary files only by download. */
export async function preview(repo, ref, path, size) {
  if (IMAGE.test(path)) {
    const blob = await request(fileUrl(repo, ref, path), { as: 'blob' });
    return el('figure', { class: 'preview' }, el('img', { src: URL.createObjectURL(blob), alt: path }));
  }
  const limited = size > PREVIEW_BYTES;
  const text = await request(fileUrl(repo, ref, path, limited ? PREVIEW_BYTES : null), { as: 'text' });
  const note = limited ? el('p', { class: 'muted' }, `First ${fmtBytes(PREVIEW_BYTES)} of ${fmtBytes(size)}.`) : null;
  if (text.includes('\u0000')) {
    return el('p', { class: 'muted' }, 'A binary file: download it to look inside.');
  }
  if (/\.(csv|tsv)$/i.test(path)) {
    const sep = /\.tsv$/i.test(path) ? '\t' : ',';
    const rows = text.split('\n').filter(l => l.length).slice(0, 201).map(l => splitCsv(l, sep));
    if (limited && rows.length) {
      rows.pop(); // the cut may fall mid-row
    }
    return el('div', { class: 'preview' }, note, el('div', { class: 'table-wrap' }, el('table', { class: 'csv' },
      el('thead', {}, el('tr', {}, (rows[0] || []).map(h => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows.slice(1).map(r => el('tr', {}, r.map(c => el('td', {}, c))))))));
  }
  if (/\.json$/i.test(path) && !limited) {
    try {
      return el('div', { class: 'preview' }, el('pre', { class: 'json', tabindex: '0' }, JSON.stringify(JSON.parse(text), null, 2)));
    } catch (e) {
      return el('div', { class: 'preview' }, el('p', { class: 'error-text' }, 'Not valid JSON: ' + e.message), el('pre', { tabindex: '0' }, text));
    }
  }
  return el('div', { class: 'preview' }, note, el('pre', { class: 'text', tabindex: '0' }, text));
}

/** One CSV line into cells, honouring double quotes (RFC 4180), enough for a preview. */
function splitCsv(line, sep) {
  const cells = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        cell += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === sep) {
      cells.push(cell);
      cell = '';
    } else {
      cell += ch;
    }
  }
  cells.push(cell.replace(/\r$/, ''));
  return cells;
}

export async function diffView(ctx) {
  const [name] = ctx.params;
  const newRef = ctx.query.get('new');
  const oldRef = ctx.query.get('old');
  add(ctx.root, el('h1', {}, 'Diff of ', el('code', {}, name)),
    el('p', {}, el('code', {}, shortId(newRef)), ' against ', el('code', {}, shortId(oldRef)), ' · ', link(`#/repos/${enc(name)}`, 'commits')));
  // one page at a time, as the file browser: a diff of a huge commit is never fetched whole
  const after = ctx.query.get('after');
  const response = await request(`${apiPath('repos', name)}/diff${query({ new: newRef, old: oldRef, limit: FILES_PAGE, after })}`,
    { as: 'response' });
  const diffs = await response.json();
  add(ctx.root, table([
    ['Path', d => d.newFile ? link(`#/repos/${enc(name)}/commit/${enc(newRef)}${query({ path: d.path })}`, d.path) : d.path],
    ['Change', d => !d.oldFile ? el('span', { class: 'add' }, 'added') : !d.newFile ? el('span', { class: 'del' }, 'deleted') : 'modified'],
    ['Old size', d => d.oldFile ? fmtBytes(d.oldFile.size) : ''],
    ['New size', d => d.newFile ? fmtBytes(d.newFile.size) : ''],
  ], diffs, { empty: response.headers.has('Sluice-Next-Cursor') ? 'No change among the paths looked at so far: see the next page.'
    : 'The two commits hold the same files.' }),
  cursorPager('diff-pager', `#/repos/${enc(name)}/diff${query({ new: newRef, old: oldRef })}`, after, response, diffs.length));
}
