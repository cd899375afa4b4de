// The daemon's /api/v1 as the console sees it: JSON in and out, the bearer token when one is needed,
// and every failure turned into one readable line (the API's own {"error": "..."} when it sent one).

const TOKEN_KEY = 'sluice.token';
let asking = null;

/** A failed call: `status` is the HTTP status (0 when the daemon did not answer), `message` one line. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The first line of a message, so that nothing multi-line or huge ever lands in the error bar. */
export function oneLine(text) {
  const line = String(text ?? '').split('\n')[0].trim();
  return line.length > 300 ? line.slice(0, 297) + '...' : line;
}

async function messageOf(response) {
  try {
    const body = await response.json();
    if (body && typeof body.error === 'string') {
      return oneLine(body.error);
    }
  } catch (ignored) {
    // not JSON: fall through to the status line
  }
  return `HTTP ${response.status} ${response.statusText}`.trim();
}

/**
 * Calls the API. `as` is 'json' (default), 'text', 'blob' or 'response'. A 401 asks for the token (once
 * for all calls waiting at that moment) and retries with it.
 */
export async function request(path, { method = 'GET', body, contentType, as = 'json', headers = {} } = {}) {
  for (;;) {
    const h = new Headers(headers);
    if (contentType) {
      h.set('Content-Type', contentType);
    }
    const token = localStorage.getItem(TOKEN_KEY);
    if (token) {
      h.set('Authorization', 'Bearer ' + token);
    }
    let response;
    try {
      response = await fetch(path, { method, body, headers: h, cache: 'no-store' });
    } catch (e) {
      throw new ApiError(0, 'the daemon does not answer: ' + oneLine(e.message));
    }
    if (response.status === 401) {
      await askToken(await messageOf(response), token !== null);
      continue;
    }
    if (!response.ok) {
      throw new ApiError(response.status, await messageOf(response));
    }
    switch (as) {
      case 'text': return response.text();
      case 'blob': return response.blob();
      case 'response': return response;
      default: return response.json();
    }
  }
}

/** Keeps the daemon's token in this browser for every later call. */
export function keepToken(token) {
  localStorage.setItem(TOKEN_KEY, token);
}

/** Shows the token dialog; every caller waiting on a 401 shares one prompt. */
function askToken(message, hadToken) {
  if (asking) {
    return asking;
  }
  asking = new Promise(resolve => {
    const dialog = document.getElementById('token-dialog');
    const form = document.getElementById('token-form');
    const input = document.getElementById('token-input');
    const error = document.getElementById('token-error');
    error.hidden = !hadToken;
    error.textContent = hadToken ? message : '';
    dialog.addEventListener('cancel', e => e.preventDefault()); // no data without a token: keep asking
    form.onsubmit = e => {
      e.preventDefault();
      const value = input.value.trim();
      if (!value) {
        return;
      }
      keepToken(value);
      input.value = '';
      dialog.close();
      asking = null;
      resolve();
    };
    dialog.showModal();
    input.focus();
  });
  return asking;
}

/** Query string from an object, leaving out null and undefined values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== '') {
      q.set(k, String(v));
    }
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

export const enc = encodeURIComponent;

/**
 * The API prefix of the project a repo or pipeline is named in, and its name there: outside the default
 * project the console names everything `project/name`, as the DAG, provenance and jobs do, and the API
 * serves that project at /api/v1/projects/{project}/...; a bare name is the default project's.
 */
function scope(qname) {
  const slash = qname.indexOf('/');
  return slash < 0 ? { base: projectBase('default'), name: qname }
    : { base: projectBase(qname.slice(0, slash)), name: qname.slice(slash + 1) };
}

function projectBase(project) {
  return project === 'default' ? '/api/v1' : `/api/v1/projects/${enc(project)}`;
}

/** The API path of repo (kind 'repos') or pipeline (kind 'pipelines') `qname`: 'p/n' is n of project p. */
export function apiPath(kind, qname) {
  const { base, name } = scope(qname);
  return `${base}/${kind}/${enc(name)}`;
}

/** The API path listing the jobs of pipeline `qname` (every job of the default project when empty). */
export function jobsPath(qname, params = {}) {
  const { base, name } = scope(qname || '');
  return `${base}/jobs${query({ pipeline: name, ...params })}`;
}

/** The name the console gives a repo or pipeline the API describes by `name` and `project`. */
export function qualified({ name, project }) {
  return !project || project === 'default' ? name : `${project}/${name}`;
}

/** Every project's repos or pipelines (kind 'repos' or 'pipelines'), each under the name the console gives it. */
export async function inEveryProject(kind) {
  const projects = await request('/api/v1/projects');
  const lists = await Promise.all(projects.map(p => request(`${projectBase(p.name)}/${kind}`)));
  return lists.flat().map(x => ({ ...x, name: qualified(x) }));
}
