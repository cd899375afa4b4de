// The page's shared furniture: the error bar and the side panel.
import { oneLine } from './api.js';
import { el, reset } from './util.js';

const errorBar = document.getElementById('error');
const panel = document.getElementById('panel');
let pollFailure = null;

/** Shows a failed live refresh; the next good refresh clears it. */
export function showPollFailure(message) {
  pollFailure = oneLine(message);
  showError(message);
}

/** Shows one line in the error bar (role=alert, so screen readers hear it). */
export function showError(message) {
  reset(errorBar, el('span', {}, oneLine(message)), ' ',
    el('button', { type: 'button', class: 'link', onclick: () => { errorBar.hidden = true; } }, 'Dismiss'));
  errorBar.hidden = false;
}

export function clearPollFailure() {
  if (pollFailure !== null && errorBar.textContent.startsWith(pollFailure)) {
    errorBar.hidden = true;
  }
  pollFailure = null;
}

/** Opens the side panel with `content`; Escape or its close button closes it. */
export function openPanel(title, content) {
  reset(panel, 
    el('div', { class: 'panel-head' }, el('h2', { id: 'panel-title' }, title),
      el('button', { type: 'button', class: 'link', 'aria-label': 'Close details', onclick: closePanel }, '✕')),
    content);
  panel.hidden = false;
  panel.setAttribute('aria-labelledby', 'panel-title');
  panel.querySelector('button').focus();
}

export function closePanel() {
  panel.hidden = true;
  reset(panel);
}

document.addEventListener('keydown', e => {
  if (e.key === 'Escape' && !panel.hidden) {
    closePanel();
  }
});

