// The history view: the caller's uploads with filters, keyset paging (a stack of cursors for
// Previous) and deletion behind a confirmation dialog.

import { api } from './api.js';
import { $, h, showMessage, showError, formatBytes, formatClock, formatDate, captionStateText } from './ui.js';

const PAGE_SIZE = 20;

const filters = $('#history-filters');
const statusSelect = $('#history-status');
const qInput = $('#history-q');
const totalEl = $('#history-total');
const tbody = $('#history-table tbody');
const prevButton = $('#history-prev');
const nextButton = $('#history-next');
const pageEl = $('#history-page');
const dialog = $('#confirm-dialog');
const dialogText = $('#confirm-text');

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
  leave() { generation += 1; if (dialog.open) dialog.close('no'); },
};

function query() {
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (statusSelect.value && statusSelect.value !== 'all') params.set('status', statusSelect.value);
  const q = qInput.value.trim();
  if (q) params.set('q', q);
  if (cursor) params.set('cursor', cursor);
  return params;
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
  if (uploads.length === 0) {
    tbody.replaceChildren(h('tr', { class: 'empty' },
      h('td', { colspan: 9, text: stack.length ? 'No more uploads.' : 'No uploads match.' })));
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

function row(u) {
  const renditions = (u.renditions || []).join(', ') || '—';
  const del = h('button', { type: 'button', class: 'delete', 'aria-label': `Delete “${u.title}”`, text: 'Delete' });
  del.addEventListener('click', () => confirmDelete(u, del));
  return h('tr', { dataset: { videoId: u.videoId } },
    cell('Title', 'title', h('a', { class: 'watch-link', href: `#/watch/${u.videoId}`, text: u.title })),
    cell('Status', 'status', u.status),
    cell('Duration', 'duration', Number.isFinite(u.durationSeconds) ? formatClock(u.durationSeconds) : '—'),
    cell('Size', 'size', formatBytes(u.size)),
    cell('Renditions', 'renditions', renditions),
    cell('Captions', 'captions', captionStateText(u.captions) || '—'),
    cell('Created', 'created', h('time', { datetime: u.createdAt, text: formatDate(u.createdAt) })),
    cell('Failure', u.failureReason ? 'failure has-failure' : 'failure', u.failureReason || '—'),
    cell('Actions', 'actions', del));
}

/** Opens #confirm-dialog; resolves true for #confirm-yes. Escape or #confirm-no is false. */
function confirmDialog(text) {
  return new Promise((resolve) => {
    dialogText.textContent = text;
    dialog.returnValue = '';
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'yes'), { once: true });
    dialog.showModal();
    $('#confirm-no').focus();
  });
}

async function confirmDelete(upload, button) {
  const ok = await confirmDialog(`Delete “${upload.title}”? Its source, renditions and captions are removed for good.`);
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
  $('#confirm-yes').addEventListener('click', () => dialog.close('yes'));
  $('#confirm-no').addEventListener('click', () => dialog.close('no'));
}
