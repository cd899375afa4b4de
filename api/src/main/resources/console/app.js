// The console's router: one view per hash route, each rendered into a fresh container, with its live
// refreshes stopped when the route changes. Any failure shows as one line, never as a blank page.
import { oneLine, keepToken } from './api.js';
import { el, reset } from './util.js';
import { showError, showPollFailure, clearPollFailure, closePanel } from './ui.js';
import { dagView } from './dag.js';
import { repoListView, repoView, browseView, diffView } from './repos.js';
import { lineageView } from './lineage.js';
import { jobListView, jobView } from './jobs.js';
import { pipelineListView, pipelineView } from './pipelines.js';
import { modelsView } from './models.js';
import { healthView } from './health.js';

const ROUTES = [
  [/^\/?$/, 'dag', dagView],
  [/^\/repos$/, 'repos', repoListView],
  [/^\/repos\/([^/]+)$/, 'repos', repoView],
  [/^\/repos\/([^/]+)\/commit\/([^/]+)$/, 'repos', browseView],
  [/^\/repos\/([^/]+)\/diff$/, 'repos', diffView],
  [/^\/lineage\/([^/]+)\/([^/]+)$/, 'repos', lineageView],
  [/^\/jobs$/, 'jobs', jobListView],
  [/^\/jobs\/([^/]+)$/, 'jobs', jobView],
  [/^\/pipelines$/, 'pipelines', pipelineListView],
  [/^\/pipelines\/([^/]+)$/, 'pipelines', pipelineView],
  [/^\/models$/, 'models', modelsView],
  [/^\/health$/, 'health', healthView],
];

const main = document.getElementById('view');
let generation = 0;

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  return { path: q < 0 ? raw : raw.slice(0, q), query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

async function route() {
  const started = performance.now();
  const mine = ++generation;
  const { path, query } = parseHash();
  closePanel();
  const root = el('div', { class: 'view' });
  reset(main, root);
  let match = null;
  for (const [pattern, section, view] of ROUTES) {
    const m = path.match(pattern);
    if (m) {
      match = { section, view, params: m.slice(1).map(decodeURIComponent) };
      break;
    }
  }
  for (const a of document.querySelectorAll('nav a[data-section]')) {
    a.toggleAttribute('aria-current', match !== null && a.dataset.section === match.section);
  }
  if (!match) {
    root.append(el('h1', {}, 'Not found'), el('p', {}, 'No page ', el('code', {}, path), '. ', el('a', { href: '#/' }, 'Back to the DAG')));
    rendered(path, started);
    return;
  }
  const ctx = {
    params: match.params,
    query,
    root,
    alive: () => mine === generation,
    /** Runs `refresh` every `ms` while this route is shown; a failure shows in the error bar and retries. */
    live(refresh, ms) {
      const tick = async () => {
        if (mine !== generation) {
          return;
        }
        try {
          await refresh();
          clearPollFailure();
        } catch (e) {
          showPollFailure(e.message);
        }
        if (mine === generation) {
          setTimeout(tick, ms);
        }
      };
      setTimeout(tick, ms);
    },
  };
  try {
    await match.view(ctx);
  } catch (e) {
    if (mine === generation) {
      root.append(el('p', { class: 'error-text', role: 'alert' }, 'Could not load this page: ' + oneLine(e.message)));
      showError(e.message);
      console.error(e);
    }
  }
  if (mine === generation) {
    rendered(path, started);
  }
}

/** Marks the page rendered (for the tests' and the benchmark's timing) and moves focus to it. */
function rendered(path, started) {
  const now = performance.now();
  window.sluiceRendered = { path, ms: now - started, sinceNavigation: now, count: (window.sluiceRendered?.count || 0) + 1 };
  document.body.dataset.rendered = path;
}

// `sluice up` prints the console's address with its token after '#token=': keep the token, drop it from the
// address bar and the history, and show the DAG.
const given = location.hash.match(/^#token=([^&]+)$/);
if (given) {
  keepToken(decodeURIComponent(given[1]));
  history.replaceState(null, '', location.pathname + '#/');
}
window.addEventListener('hashchange', route);
route();
