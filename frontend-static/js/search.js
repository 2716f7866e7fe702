// Search inside videos: the transcript search; each cue links to the moment it is spoken.

import { api } from './api.js';
import { $, h, showError, formatClock } from './ui.js';

const form = $('#search-form');
const input = $('#search-q');
const results = $('#search-results');
const summary = $('#search-summary');
let generation = 0;

function result(item) {
  const watch = `#/watch/${item.videoId}`;
  return h('li', { class: 'search-result', dataset: { videoId: item.videoId } },
    h('h3', {}, h('a', { class: 'search-title', href: watch, text: item.title })),
    h('ul', { class: 'cues' }, ...item.cues.map((cue) => h('li', {},
      h('a', {
        class: 'search-hit', href: `${watch}?t=${cue.start}`, dataset: { start: String(cue.start) },
      }, h('span', { class: 'cue-time', text: formatClock(cue.start) }), ' ', cue.text)))));
}

async function search(q) {
  const gen = ++generation;
  form.setAttribute('aria-busy', 'true');
  summary.textContent = 'Searching…';
  try {
    const body = await api(`/api/search?${new URLSearchParams({ q })}`);
    if (gen !== generation) return;
    results.replaceChildren(...body.results.map(result));
    const n = body.results.length;
    summary.textContent = n === 0 ? `No video mentions “${q}”.` : `${n === 1 ? '1 video mentions' : `${n} videos mention`} “${q}”.`;
  } catch (err) {
    if (gen !== generation) return;
    summary.textContent = '';
    showError(err);
  } finally {
    if (gen === generation) form.removeAttribute('aria-busy');
  }
}

export function initSearch() {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = input.value.trim();
    if (!q) { input.focus(); summary.textContent = 'Type a word or phrase to look for.'; return; }
    search(q);
  });
}
