// The history view: the caller's uploads with filters, keyset paging (a stack of cursors for
// Previous), a poster thumbnail per ready video (fetched once its row nears the screen), and
// deletion behind a confirmation dialog.

import { api, apiFetch, queryString } from './api.js';
import {
  $, h, showMessage, showError, formatBytes, formatClock, formatDate, captionStateText, confirmDialog, closeConfirmDialog,
} from './ui.js';

const PAGE_SIZE = 20;
const COLUMNS = 7;
// The thumbnail's box (16:9), also its width/height attributes: no layout shift when it arrives.
const POSTER_WIDTH = 96;
const POSTER_HEIGHT = 54;
const POSTER_FETCHES = 4; // at most this many poster requests at once

const filters = $('#history-filters');
const statusSelect = $('#history-status');
const qInput = $('#history-q');
const totalEl = $('#history-total');
const tbody = $('#history-table tbody');
const prevButton = $('#history-prev');
const nextButton = $('#history-next');
const pageEl = $('#history-page');

// Paging: `cursor` is the current page's cursor (null = first page), `stack` the earlier ones.
let cursor = null;
let stack = [];
let nextCursor = null;
let total = 0;
let shown = 0;
let generation = 0;
// The history is a projection of events: a deleted video can linger there for a moment.
const deleted = new Set();

export const historyView = {
  el: document.getElementById('view-history'),
  enter() { load(); },
  leave() { generation += 1; closeConfirmDialog(); dropPosters(); },
};

// --- Posters ---
// GET /api/videos/{id}/poster.jpg answers the bearer token too, so each visible row costs one
// request (no playback links to sign first); an <img> cannot send the header, so the image
// arrives with fetch() and shows through an object URL, revoked when the page is left or
// re-rendered. Conditional requests (the poster's ETag) keep a revisit cheap.

let posterUrls = [];
let posterQueue = [];
let posterRunning = 0;
const posterObserver = 'IntersectionObserver' in window
  ? new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      posterObserver.unobserve(entry.target);
      queuePoster(entry.target);
    }
  }, { rootMargin: '200px 0px' })
  : null;

function dropPosters() {
  if (posterObserver) posterObserver.disconnect();
  posterQueue = [];
  for (const url of posterUrls) URL.revokeObjectURL(url);
  posterUrls = [];
}

function queuePoster(img) {
  posterQueue.push({ img, gen: generation });
  pumpPosters();
}

function pumpPosters() {
  while (posterRunning < POSTER_FETCHES && posterQueue.length) {
    const job = posterQueue.shift();
    if (job.gen !== generation || !job.img.isConnected) continue;
    posterRunning += 1;
    loadPoster(job).finally(() => { posterRunning -= 1; pumpPosters(); });
  }
}

async function loadPoster({ img, gen }) {
  try {
    const res = await apiFetch(`/api/videos/${encodeURIComponent(img.dataset.videoId)}/poster.jpg`, { cache: 'default' });
    if (!res.ok) { img.dataset.poster = 'none'; return; }
    const blob = await res.blob();
    if (gen !== generation || !img.isConnected) return;
    const url = URL.createObjectURL(blob);
    posterUrls.push(url);
    img.addEventListener('load', () => { img.dataset.poster = 'shown'; }, { once: true });
    img.addEventListener('error', () => { img.dataset.poster = 'none'; }, { once: true });
    img.src = url;
  } catch (err) {
    img.dataset.poster = 'none';
    if (err.handled) return; // the session ended: the page says so
  }
}

/** The row's thumbnail: a poster for a ready video (lazily), a sized placeholder otherwise. */
function thumbnail(u) {
  const img = h('img', {
    class: 'poster', alt: '', width: POSTER_WIDTH, height: POSTER_HEIGHT, decoding: 'async',
    dataset: { videoId: u.videoId, poster: u.status === 'ready' ? 'waiting' : 'none' },
  });
  if (u.status === 'ready') {
    if (posterObserver) posterObserver.observe(img);
    else queuePoster(img);
  }
  // The picture is a second way to the same link for the mouse: not a Tab stop, not read twice.
  return h('a', { class: 'poster-link', href: `#/watch/${u.videoId}`, tabindex: '-1', 'aria-hidden': 'true' }, img);
}

function query() {
  return queryString({
    limit: PAGE_SIZE,
    status: statusSelect.value && statusSelect.value !== 'all' ? statusSelect.value : '',
    q: qInput.value.trim(),
    cursor,
  });
}

async function load() {
  const gen = ++generation;
  tbody.setAttribute('aria-busy', 'true');
  try {
    const page = await api(`/api/history?${query()}`);
    if (gen !== generation) return;
    const uploads = page.uploads.filter((u) => !deleted.has(u.videoId));
    total = Math.max(0, page.total - (page.uploads.length - uploads.length));
    nextCursor = page.nextCursor || null;
    shown = uploads.length;
    render(uploads);
  } catch (err) {
    if (gen === generation) showError(err);
  } finally {
    if (gen === generation) tbody.removeAttribute('aria-busy');
  }
}

function render(uploads) {
  dropPosters();
  if (uploads.length === 0) {
    tbody.replaceChildren(h('tr', { class: 'empty' },
      h('td', { colspan: COLUMNS, text: stack.length ? 'No more uploads.' : 'No uploads match.' })));
  } else {
    tbody.replaceChildren(...uploads.map(row));
  }
  updatePager();
}

function updatePager() {
  totalEl.textContent = total === 1 ? '1 upload' : `${total} uploads`;
  const before = stack.length * PAGE_SIZE;
  // The API gives a cursor whenever a page is full, so the total decides whether more exist.
  nextButton.disabled = !nextCursor || before + shown >= total;
  prevButton.disabled = stack.length === 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  pageEl.textContent = `Page ${stack.length + 1} of ${pages}`;
}

function cell(label, className, ...content) {
  return h('td', { class: className, dataset: { label } }, ...content);
}

/** One compact row: thumbnail, the title with its renditions and captions under it, the status
 *  (with the failure reason), duration, size, created, Delete. */
function row(u) {
  const details = [(u.renditions || []).join(', '), captionStateText(u.captions)].filter(Boolean).join(' · ');
  const del = h('button', { type: 'button', class: 'delete small', 'aria-label': `Delete “${u.title}”`, text: 'Delete' });
  del.addEventListener('click', () => confirmDelete(u, del));
  return h('tr', { dataset: { videoId: u.videoId, status: u.status } },
    cell('Poster', 'thumb', thumbnail(u)),
    cell('Title', 'title',
      h('a', { class: 'watch-link', href: `#/watch/${u.videoId}`, text: u.title }),
      details ? h('span', { class: 'details', text: details }) : null),
    cell('Status', u.failureReason ? 'status has-failure' : 'status',
      h('span', { class: 'status-name', text: u.status }),
      u.failureReason ? h('span', { class: 'failure', text: u.failureReason }) : null),
    cell('Duration', 'duration', Number.isFinite(u.durationSeconds) ? formatClock(u.durationSeconds) : '—'),
    cell('Size', 'size', formatBytes(u.size)),
    cell('Created', 'created', h('time', { datetime: u.createdAt, text: formatDate(u.createdAt) })),
    cell('Actions', 'actions', del));
}

async function confirmDelete(upload, button) {
  const ok = await confirmDialog({
    heading: 'Delete this video?',
    text: `Delete “${upload.title}”? Its source, renditions and captions are removed for good.`,
    yes: 'Delete',
    no: 'Keep it',
  });
  if (!ok) { button.focus(); return; }
  button.disabled = true;
  try {
    await api(`/api/videos/${encodeURIComponent(upload.videoId)}`, { method: 'DELETE' });
    deleted.add(upload.videoId);
    const tr = button.closest('tr');
    tr.remove();
    total = Math.max(0, total - 1);
    shown -= 1;
    if (shown === 0 && stack.length) {
      cursor = stack.pop();
      load();
    } else if (shown === 0) {
      render([]);
    } else {
      updatePager();
    }
    totalEl.focus();
  } catch (err) {
    button.disabled = false;
    if (err.status === 404) showMessage('This video does not exist or is not yours.');
    else showError(err);
  }
}

export function initHistory() {
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    cursor = null;
    stack = [];
    load();
  });
  nextButton.addEventListener('click', () => {
    if (!nextCursor) return;
    stack.push(cursor);
    cursor = nextCursor;
    load();
  });
  prevButton.addEventListener('click', () => {
    if (!stack.length) return;
    cursor = stack.pop();
    load();
  });
}
