// Search inside videos: the transcript search (GET /api/search), from the header's box on every
// view (the search view, #/search?q=…) and from the history view's own section. Each result cue
// shows the words that matched in <mark> and links to its moment; clicking it opens the watch
// view there and plays from it.

import { api, queryString } from './api.js';
import { $, h, showError, formatClock } from './ui.js';

const video = document.getElementById('player');
const headerForm = $('#header-search');
const headerInput = $('#header-search-q');

// Words a search engine skips (the server's English configuration matches none of them alone).
const STOP_WORDS = new Set(('a an and are as at be but by for from has have he her his i in into is it its of on or our she so '
  + 'than that the their them then there these they this to was we were what when which who will with you your').split(' '));
const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu;

/**
 * The stems of the query's words, for highlighting: the server stems English words
 * ("penguins" finds "penguin"), so a cue word matches when it starts with a query word's stem.
 * Quotes group a phrase (its words count one by one); `-word` and `or` are operators.
 */
export function queryStems(q) {
  const stems = new Set();
  for (const token of q.replace(/["“”]/g, ' ').split(/\s+/)) {
    if (!token || token.startsWith('-') || token.toLowerCase() === 'or') continue;
    for (const [word] of token.matchAll(WORD)) {
      const lower = word.toLowerCase();
      if (STOP_WORDS.has(lower)) continue;
      stems.add(stem(lower));
    }
  }
  return [...stems].filter(Boolean);
}

/** A light English stemmer: enough to find "diving" from "dive" and "fish" from "fishes". */
function stem(word) {
  let w = word.replace(/['’]s$/, '');
  for (const suffix of ['ingly', 'edly', 'ing', 'ies', 'ied', 'es', 'ed', 'ly', 's']) {
    if (w.length - suffix.length >= 3 && w.endsWith(suffix)) { w = w.slice(0, -suffix.length); break; }
  }
  if (w.length > 3 && w.endsWith('e')) w = w.slice(0, -1);
  return w;
}

/** The cue's text as nodes, every word that matches a stem inside a <mark> (text only, no HTML). */
export function highlighted(text, stems) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(WORD)) {
    const lower = match[0].toLowerCase();
    if (!stems.some((s) => lower.startsWith(s))) continue;
    if (match.index > last) nodes.push(document.createTextNode(text.slice(last, match.index)));
    nodes.push(h('mark', { text: match[0] }));
    last = match.index + match[0].length;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

function result(item, stems) {
  const watch = `#/watch/${item.videoId}`;
  return h('li', { class: 'search-result', dataset: { videoId: item.videoId } },
    h('h3', {}, h('a', { class: 'search-title', href: watch, text: item.title })),
    h('ul', { class: 'cues' }, ...item.cues.map((cue) => h('li', {},
      h('a', {
        class: 'search-hit', href: `${watch}?t=${cue.start}`, dataset: { start: String(cue.start), videoId: item.videoId },
        'aria-label': `${formatClock(cue.start)}: ${cue.text} (play from here)`,
      }, h('span', { class: 'cue-time', text: formatClock(cue.start) }), ' ',
      h('span', { class: 'cue-text' }, ...highlighted(cue.text, stems)))))));
}

/** One place that shows results: its list, its status line and the element marked busy. */
function resultsArea(list, summary, busyEl) {
  let generation = 0;
  return {
    async search(q) {
      const gen = ++generation;
      busyEl.setAttribute('aria-busy', 'true');
      summary.textContent = 'Searching…';
      try {
        const body = await api(`/api/search?${queryString({ q })}`);
        if (gen !== generation) return;
        const stems = queryStems(q);
        list.replaceChildren(...body.results.map((item) => result(item, stems)));
        const n = body.results.length;
        summary.textContent = n === 0 ? `No video mentions “${q}”.` : `${n === 1 ? '1 video mentions' : `${n} videos mention`} “${q}”.`;
      } catch (err) {
        if (gen !== generation) return;
        summary.textContent = '';
        showError(err);
      } finally {
        if (gen === generation) busyEl.removeAttribute('aria-busy');
      }
    },
    clear(text = '') {
      generation += 1;
      busyEl.removeAttribute('aria-busy');
      list.replaceChildren();
      summary.textContent = text;
    },
  };
}

const page = resultsArea($('#search-page-results'), $('#search-page-summary'), $('#search-page-results'));
const section = resultsArea($('#search-results'), $('#search-summary'), $('#search-form'));

/** The search view: #/search?q=… (the header box leads here; a link or a reload too). */
export const searchView = {
  el: document.getElementById('view-search'),
  enter({ q = '' } = {}) {
    headerInput.value = q;
    document.title = q ? `“${q}” — ClipCut` : 'Search — ClipCut';
    if (q.trim()) page.search(q.trim());
    else page.clear('Type a word or phrase in the search box to find where it is said.');
  },
  leave() { page.clear(); document.title = 'ClipCut'; },
};

// --- Playing from a result ---
// A result's link opens #/watch/<id>?t=<start>, where the player seeks to the moment; the click
// also asks for playback: the next time the player's metadata loads for that video (its source
// set, the seek to `t` done in the same event), it plays. A link opened in a new tab only seeks.

let pendingPlay = null; // { videoId, until }

function play() {
  video.play().catch((err) => {
    if (err.name !== 'NotAllowedError') return undefined;
    video.muted = true; // the browser allows muted playback; the controls unmute it
    return video.play();
  }).catch(() => {});
}

const onWatchOf = (videoId) => location.hash.startsWith(`#/watch/${videoId}`);

function onHitClick(event) {
  const hit = event.target.closest('a.search-hit');
  if (!hit || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  pendingPlay = { videoId: hit.dataset.videoId, until: Date.now() + 60000 };
}

export function initSearch() {
  headerForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = headerInput.value.trim();
    if (!q) { headerInput.focus(); return; }
    const target = `#/search?${queryString({ q })}`;
    if (location.hash === target) page.search(q); // the same search again: fresh results
    else location.hash = target;
  });

  const form = $('#search-form');
  const input = $('#search-q');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = input.value.trim();
    if (!q) { input.focus(); $('#search-summary').textContent = 'Type a word or phrase to look for.'; return; }
    section.search(q);
  });

  for (const list of [$('#search-page-results'), $('#search-results')]) list.addEventListener('click', onHitClick);
  video.addEventListener('loadedmetadata', () => {
    if (!pendingPlay) return;
    const { videoId, until } = pendingPlay;
    pendingPlay = null;
    // After the player's own handler of this event has sought to the moment.
    if (Date.now() < until && onWatchOf(videoId)) setTimeout(play, 0);
  });
  window.addEventListener('hashchange', () => {
    if (pendingPlay && !onWatchOf(pendingPlay.videoId)) pendingPlay = null;
  });
}
