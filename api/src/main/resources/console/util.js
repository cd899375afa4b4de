// Small DOM and formatting helpers shared by the views.

/** Builds an element: attrs may hold `class`, `on<event>` handlers, `dataset`, and plain attributes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) {
      continue;
    }
    if (k.startsWith('on') && typeof v === 'function') {
      node.addEventListener(k.slice(2), v);
    } else if (k === 'dataset') {
      Object.assign(node.dataset, v);
    } else if (k === 'class') {
      node.className = v;
    } else if (k === 'text') {
      node.textContent = v;
    } else {
      node.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(node, children);
  return node;
}

/** Appends children as `el` does: arrays flattened, null, undefined and false left out, strings as text. */
export function add(node, ...children) {
  append(node, children);
  return node;
}

/** Replaces a node's children, as `add` appends them. */
export function reset(node, ...children) {
  node.replaceChildren();
  return add(node, ...children);
}

function append(node, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) {
      continue;
    }
    if (Array.isArray(c)) {
      append(node, c);
    } else {
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }
}

export function link(href, ...children) {
  return el('a', { href }, ...children);
}

export function shortId(id) {
  return id ? String(id).slice(0, 10) : '';
}

export function fmtTime(iso) {
  if (!iso) {
    return '';
  }
  const d = new Date(iso);
  return isNaN(d) ? String(iso) : d.toLocaleString(undefined, { hour12: false });
}

export function fmtDuration(fromIso, toIso) {
  if (!fromIso) {
    return '';
  }
  const ms = (toIso ? new Date(toIso) : new Date()) - new Date(fromIso);
  if (ms < 1000) {
    return ms + ' ms';
  }
  if (ms < 60_000) {
    return (ms / 1000).toFixed(1) + ' s';
  }
  return Math.floor(ms / 60_000) + ' min ' + Math.round((ms % 60_000) / 1000) + ' s';
}

export function fmtBytes(n) {
  if (n === null || n === undefined) {
    return '';
  }
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = Number(n);
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return (i === 0 ? v : v.toFixed(1)) + ' ' + units[i];
}

export function fmtNumber(v, digits = 4) {
  return typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(digits)) : (v ?? '');
}

/** Colours of job and pipeline states, shared by the DAG and the badges. */
export const STATE_COLOURS = {
  JOB_SUCCESS: '#2e7d32',
  JOB_FAILURE: '#c62828',
  JOB_RUNNING: '#1565c0',
  JOB_STARTING: '#1976d2',
  JOB_CREATED: '#607d8b',
  JOB_KILLED: '#ef6c00',
  JOB_UNRUNNABLE: '#6a1b9a',
  SUCCESS: '#2e7d32',
  FAILED: '#c62828',
  SKIPPED: '#607d8b',
  RUNNING: '#1565c0',
  PIPELINE_PAUSED: '#ef6c00',
};

export function badge(state) {
  if (!state) {
    return el('span', { class: 'badge', style: 'background:#9e9e9e' }, 'no job yet');
  }
  const label = String(state).replace(/^(JOB_|PIPELINE_|DATUM_)/, '').toLowerCase();
  return el('span', { class: 'badge', style: `background:${STATE_COLOURS[state] || STATE_COLOURS[label.toUpperCase()] || '#757575'}`,
    title: state }, label);
}

/** A table: columns are [heading, row => cell content]; rows may carry a `key` for tests. */
export function table(columns, rows, { caption, empty = 'Nothing yet.' } = {}) {
  if (!rows.length) {
    return el('p', { class: 'muted' }, empty);
  }
  return el('div', { class: 'table-wrap' }, el('table', {},
    caption ? el('caption', {}, caption) : null,
    el('thead', {}, el('tr', {}, columns.map(([h]) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.map(r => el('tr', {}, columns.map(([, f]) => el('td', {}, f(r))))))));
}

/** Previous/next links for a newest-first list read `size` at a time from `offset`. */
export function pager(hrefFor, offset, size, got) {
  const prev = offset > 0 ? link(hrefFor(Math.max(0, offset - size)), '← Newer') : null;
  const next = got >= size ? link(hrefFor(offset + size), 'Older →') : null;
  if (!prev && !next) {
    return null;
  }
  return el('nav', { class: 'pager', 'aria-label': 'Pages' }, prev, ' ',
    el('span', { class: 'muted' }, `${offset + 1}–${offset + got}`), ' ', next);
}

/**
 * Line diff of two texts (longest common subsequence): rows of [' ' | '-' | '+', line]. Specs and
 * small files only; the console never diffs anything large.
 */
export function lineDiff(oldText, newText) {
  const a = oldText.split('\n');
  const b = newText.split('\n');
  const n = a.length;
  const m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push([' ', a[i++]]);
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
      out.push(['-', a[i++]]);
    } else {
      out.push(['+', b[j++]]);
    }
  }
  while (i < n) {
    out.push(['-', a[i++]]);
  }
  while (j < m) {
    out.push(['+', b[j++]]);
  }
  return out;
}

export function diffView(rows) {
  return el('pre', { class: 'diff', tabindex: '0' }, rows.map(([op, line]) =>
    el('span', { class: op === '+' ? 'add' : op === '-' ? 'del' : 'same' }, op + ' ' + line + '\n')));
}

export function pretty(json) {
  return JSON.stringify(json, null, 2);
}
