// The upload view: drop zone or file picker, title, progress with speed and time left, cancel;
// and the user's unfinished resumable uploads (GET /api/uploads), each resumed by choosing the
// same file again (here or in the main picker) or discarded.
// Files up to 8 MiB go in one POST /api/videos (raw body); larger ones through tus.

import { xhrRequest, errorFromBody, currentUser, api } from './api.js';
import { TusUpload, discardUpload, fingerprint } from './tus.js';
import {
  $, h, showMessage, showError, clearMessage, formatBytes, formatDate, formatEta, formatRate, confirmDialog, closeConfirmDialog,
} from './ui.js';

const PLAIN_LIMIT = 8 * 1024 * 1024;

const form = $('#upload-form');
const dropZone = $('#drop-zone');
const fileInput = $('#upload-file');
const titleInput = $('#upload-title');
const languageInput = $('#upload-language');
const submitButton = $('#upload-submit');
const cancelButton = $('#upload-cancel');
const progress = $('#upload-progress');
const status = $('#upload-status');
const fileInfo = $('#upload-file-info');
const rateEl = $('#upload-rate');
const unfinishedBox = $('#unfinished');
const unfinishedList = $('#unfinished-list');

let selected = null;   // the File to upload
let resuming = null;   // the unfinished upload (from GET /api/uploads) the selected file goes on with
let autoTitle = '';    // the title we filled in (replaced when another file is chosen)
let active = null;     // { promise, cancel(), abort(), url() } while uploading
let unfinished = [];   // the user's unfinished resumable uploads, as last listed
let unfinishedGeneration = 0;

const usageBox = $('#storage-usage');
const usageMeter = $('#storage-meter');
const usageText = $('#storage-text');

export const uploadView = {
  el: document.getElementById('view-upload'),
  enter() { showUsage(); loadUnfinished(); },
  leave() { closeConfirmDialog(); }, // an upload in progress carries on in the background
};

// --- Speed and time left ---
// The bytes sent are sampled at most every 250 ms and the speed between samples is smoothed
// (exponentially, over about 3 s), so the 5 MiB tus requests' pauses between them and the
// browser's bursty progress events do not make the figures jump. Shown after the first second.

const RATE_SAMPLE_MS = 250;
const RATE_SMOOTHING_MS = 3000;
const RATE_SHOW_AFTER_MS = 1000;

class RateMeter {
  constructor() { this.reset(); }

  reset() {
    this.started = null;
    this.last = null;   // { bytes, time }
    this.rate = null;   // bytes per second, smoothed
  }

  /** A new total of bytes sent; returns the smoothed speed once it means something, else null. */
  sample(bytes, time = performance.now()) {
    if (this.last === null || bytes < this.last.bytes) { // the first sample, or a retry went back
      if (this.started === null) this.started = time;
      this.last = { bytes, time };
      return this.shown(time);
    }
    const elapsed = time - this.last.time;
    if (elapsed < RATE_SAMPLE_MS) return this.shown(time);
    const speed = ((bytes - this.last.bytes) * 1000) / elapsed;
    const weight = 1 - Math.exp(-elapsed / RATE_SMOOTHING_MS);
    this.rate = this.rate === null ? speed : this.rate + weight * (speed - this.rate);
    this.last = { bytes, time };
    return this.shown(time);
  }

  shown(time) {
    return this.rate !== null && time - this.started >= RATE_SHOW_AFTER_MS ? this.rate : null;
  }
}

const meter = new RateMeter();

/** "12.3 MB/s · 40 s left" while bytes go up (nothing until the speed is known). */
function showRate(sent, total) {
  const rate = meter.sample(sent);
  if (rate === null || sent >= total) { rateEl.textContent = ''; return; }
  const left = rate > 0 ? formatEta((total - sent) / rate) : '—';
  rateEl.textContent = `${formatRate(rate)} · ${left} left`;
}

// --- Unfinished uploads ---

/** GET /api/uploads, then the list; hidden when there are none (or the list is unavailable). */
async function loadUnfinished() {
  const gen = ++unfinishedGeneration;
  try {
    const body = await api('/api/uploads');
    if (gen !== unfinishedGeneration) return;
    unfinished = body.uploads || [];
  } catch (err) {
    if (gen !== unfinishedGeneration) return;
    unfinished = [];
    if (err.status !== 404) console.warn('Could not list the unfinished uploads', err);
  }
  renderUnfinished();
}

function renderUnfinished() {
  const sending = active?.url();
  const shown = unfinished.filter((u) => u.location !== sending);
  unfinishedBox.hidden = shown.length === 0;
  unfinishedList.replaceChildren(...shown.map(unfinishedItem));
}

function unfinishedItem(u) {
  const name = u.title || u.filename;
  const inputId = `resume-${u.id}`;
  const input = h('input', {
    type: 'file', id: inputId, class: 'visually-hidden resume-input', accept: 'video/*,.mkv,.mov,.mp4,.webm',
    'aria-describedby': `unfinished-sent-${u.id}`,
  });
  input.addEventListener('change', () => {
    const file = input.files[0];
    input.value = '';
    if (file) resumeWith(u, file);
  });
  const discard = h('button', {
    type: 'button', class: 'secondary discard', 'aria-label': `Discard the unfinished upload of “${name}”`, text: 'Discard',
  });
  discard.addEventListener('click', () => discardOne(u, discard));
  return h('li', { class: 'unfinished-item', dataset: { uploadId: u.id } },
    h('div', { class: 'unfinished-text' },
      h('p', { class: 'unfinished-name' }, h('strong', { text: name })),
      h('p', { class: 'unfinished-sent', id: `unfinished-sent-${u.id}` },
        `${u.filename} — ${formatBytes(u.offset)} of ${formatBytes(u.length)} sent — choose the same file to resume`),
      h('progress', {
        max: u.length, value: u.offset, 'aria-label': `Bytes sent of “${name}”`,
        'aria-valuetext': `${formatBytes(u.offset)} of ${formatBytes(u.length)}`,
      }),
      h('p', { class: 'hint', text: `Started ${formatDate(u.createdAt)}; kept until ${formatDate(u.expiresAt)}.` })),
    h('div', { class: 'unfinished-actions' },
      input,
      h('label', { for: inputId, class: 'file-label button-like' },
        'Choose the file to resume', h('span', { class: 'visually-hidden', text: ` “${u.filename}”` })),
      discard));
}

/** The unfinished upload `file` continues: the same name and size (the most bytes sent first). */
function unfinishedFor(file) {
  return unfinished
    .filter((u) => u.filename === file.name && u.length === file.size && u.location !== active?.url())
    .sort((a, b) => b.offset - a.offset)[0] || null;
}

/** A file chosen with an unfinished upload's own button: it must be that upload's file (name,
 *  size, and the fingerprint it was begun with, when the page that began it could make one). */
async function resumeWith(upload, file) {
  if (active) { showMessage('Another upload is going on: wait for it to finish (or cancel it) first.'); return; }
  clearMessage();
  const print = upload.fingerprint ? await fingerprint(file) : null;  // null: this browser cannot tell
  const differs = file.name !== upload.filename || file.size !== upload.length
    || Boolean(print && print !== upload.fingerprint);
  if (differs) {
    showMessage(`“${file.name}” (${formatBytes(file.size)}) is not the file of this upload: `
      + `choose “${upload.filename}” (${formatBytes(upload.length)}).`);
    return;
  }
  choose(file, upload);
  startUpload();
}

async function discardOne(upload, button) {
  const name = upload.title || upload.filename;
  const ok = await confirmDialog({
    heading: 'Discard this upload?',
    text: `Discard the unfinished upload of “${name}”? The ${formatBytes(upload.offset)} sent so far are deleted; `
      + 'uploading the file again starts from the beginning.',
    yes: 'Discard',
    no: 'Keep it',
  });
  if (!ok) { button.focus(); return; }
  button.disabled = true;
  try {
    await discardUpload(upload.location);
    unfinished = unfinished.filter((u) => u.id !== upload.id);
    if (resuming?.id === upload.id) choose(selected); // the chosen file is a new upload now
    renderUnfinished();
    showMessage(`The unfinished upload of “${name}” was discarded.`, { kind: 'notice' });
    (unfinishedBox.hidden ? $('#upload-heading') : $('#unfinished-heading')).focus();
    showUsage();
  } catch (err) {
    button.disabled = false;
    showError(err);
  }
}

/** Shows the user's storage against the quota (GET /api/videos/usage); hidden if it fails. */
async function showUsage() {
  try {
    const usage = await api('/api/videos/usage');
    const used = usage.storedBytes + usage.reservedBytes;
    usageMeter.value = usage.quotaBytes > 0 ? Math.min(1, used / usage.quotaBytes) : 0;
    usageText.textContent = `${formatBytes(used)} of ${formatBytes(usage.quotaBytes)} used`
      + (usage.reservedBytes > 0 ? ` (${formatBytes(usage.reservedBytes)} in unfinished uploads)` : '')
      + `; ${formatBytes(usage.availableBytes)} left. Files up to ${formatBytes(usage.maximumUploadBytes)}.`;
    usageMeter.setAttribute('aria-valuetext', usageText.textContent);
    usageBox.hidden = false;
  } catch {
    usageBox.hidden = true; // the upload still works; a 413 says what is left
  }
}

/** Selects `file`; `continues` is the unfinished upload it goes on with (else found by name and size). */
function choose(file, continues = null) {
  clearMessage();  // choosing another file starts over: an old error no longer applies
  delete progress.dataset.state;
  progress.value = 0;
  rateEl.textContent = '';
  selected = file || null;
  const wasResuming = resuming;
  resuming = selected ? continues || unfinishedFor(selected) : null;
  titleInput.disabled = Boolean(resuming);
  if (!selected) { fileInfo.textContent = 'No file chosen.'; return; }
  if (resuming) {
    // The upload keeps the title (and language) it was started with.
    fileInfo.textContent = `${selected.name} — ${formatBytes(selected.size)}. ${formatBytes(resuming.offset)} of it `
      + 'was sent earlier: the upload goes on from there.';
    titleInput.value = resuming.title || resuming.filename;
    autoTitle = titleInput.value;
  } else {
    fileInfo.textContent = `${selected.name} — ${formatBytes(selected.size)}`;
    if (wasResuming || !titleInput.value.trim() || titleInput.value === autoTitle) {
      autoTitle = selected.name;
      titleInput.value = autoTitle;
    }
  }
  progress.value = 0;
  status.textContent = '';
}

function setBusy(busy) {
  submitButton.disabled = busy;
  fileInput.disabled = busy;
  titleInput.disabled = busy || Boolean(resuming);
  languageInput.disabled = busy;
  cancelButton.disabled = !busy;
  dropZone.classList.toggle('is-busy', busy);
  form.setAttribute('aria-busy', String(busy));
}

function report(sent, total, resumed = false) {
  showRate(sent, total);
  const percent = total > 0 ? Math.floor((sent / total) * 100) : 0;
  progress.value = percent;
  progress.textContent = `${percent}%`;
  const verb = resumed ? 'Resuming the earlier upload' : 'Uploading';
  status.textContent = sent >= total
    ? 'All bytes sent; finishing…'
    : `${verb}… ${percent}% (${formatBytes(sent)} of ${formatBytes(total)})`;
}

/** One request: the file as the body, the title and file name percent-encoded in headers. */
function plainUpload(file, title, language) {
  const controller = new AbortController();
  const headers = {
    'Content-Type': file.type.startsWith('video/') ? file.type : 'application/octet-stream',
    'X-Filename': encodeURIComponent(file.name),
  };
  if (title) headers['X-Title'] = encodeURIComponent(title);
  if (language && language !== 'detect') headers['X-Language'] = language;
  const promise = xhrRequest({
    method: 'POST', url: '/api/videos', headers, body: file, signal: controller.signal, onProgress: report,
  }).then((res) => {
    if (res.status !== 201) throw errorFromBody(res.status, res.text);
    return JSON.parse(res.text).id;
  });
  return { promise, cancel: async () => controller.abort(), abort: () => controller.abort(), url: () => null };
}

/** A tus upload; `url` names an unfinished upload of this file to go on with. */
function tusUpload(file, title, language, url = null) {
  // The first report says where the upload starts: past 0 means a remembered upload resumed.
  let resumed = null;
  const onProgress = (sent, total) => {
    if (resumed === null) resumed = sent > 0;
    report(sent, total, resumed);
  };
  const upload = new TusUpload(file, { title, language, userId: currentUser()?.id, url, onProgress });
  const promise = upload.start();
  return { promise, cancel: () => upload.cancel(), abort: () => upload.abort(), url: () => upload.url || url };
}

async function startUpload() {
  if (active) return;
  clearMessage();  // a new action: what the last one said is over
  delete progress.dataset.state;
  const file = selected;
  if (!file) { showMessage('Choose a video file first.'); fileInput.focus(); return; }
  if (file.size === 0) { showMessage('This file is empty.'); return; }
  const title = titleInput.value.trim();
  setBusy(true);
  status.textContent = resuming ? 'Resuming the earlier upload…' : 'Starting the upload…';
  rateEl.textContent = '';
  meter.reset();
  const language = languageInput.value;
  let job;
  if (resuming) job = tusUpload(file, resuming.title || '', language, resuming.location);
  else if (file.size <= PLAIN_LIMIT) job = plainUpload(file, title, language);
  else job = tusUpload(file, title, language);
  active = job;
  renderUnfinished(); // the one going up is not "unfinished" meanwhile
  try {
    const videoId = await job.promise;
    progress.value = 100;
    status.textContent = 'Upload complete.';
    reset();
    showUsage();
    if (location.hash.startsWith('#/upload')) location.hash = `#/watch/${videoId}`;
    else showMessage(`“${title || file.name}” has been uploaded.`, { kind: 'notice' });
  } catch (err) {
    if (err.name === 'AbortError') {
      status.textContent = 'Upload cancelled.';
      progress.value = 0;
    } else {
      status.textContent = 'Upload failed.';
      progress.dataset.state = 'failed';  // the bar says so too, not "done"
      showError(err);
    }
  } finally {
    active = null;
    rateEl.textContent = '';
    setBusy(false);
    if (uploadView.el.hidden === false) loadUnfinished();
  }
}

function reset() {
  selected = null;
  resuming = null;
  autoTitle = '';
  titleInput.disabled = false;
  fileInput.value = '';
  titleInput.value = '';
  fileInfo.textContent = '';
}

/**
 * Stops an upload in progress. The Cancel button also deletes a tus upload on the server;
 * logging out (terminate: false) only stops it, so it can resume after the next login.
 */
export async function cancelUpload({ terminate = true } = {}) {
  if (!active) return;
  const job = active;
  cancelButton.disabled = true;
  if (!terminate) { job.abort(); return; }
  status.textContent = 'Cancelling…';
  await job.cancel();
}

export function initUpload() {
  fileInput.addEventListener('change', () => choose(fileInput.files[0]));

  // Drag and drop: highlight while a file is over the zone.
  for (const type of ['dragenter', 'dragover']) {
    dropZone.addEventListener(type, (event) => {
      event.preventDefault();
      if (!active) dropZone.classList.add('is-over');
    });
  }
  for (const type of ['dragleave', 'dragend']) {
    dropZone.addEventListener(type, (event) => {
      if (!dropZone.contains(event.relatedTarget)) dropZone.classList.remove('is-over');
    });
  }
  dropZone.addEventListener('drop', (event) => {
    event.preventDefault();
    dropZone.classList.remove('is-over');
    if (active) return;
    const file = event.dataTransfer.files[0];
    if (!file) return;
    try { fileInput.files = event.dataTransfer.files; } catch { /* read-only in old browsers */ }
    choose(file);
  });
  // A file dropped next to the zone should not navigate away from the page.
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => event.preventDefault());

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    startUpload();
  });
  cancelButton.addEventListener('click', () => { cancelUpload(); });
  window.addEventListener('beforeunload', (event) => {
    if (active) event.preventDefault(); // the browser asks whether to leave
  });
}
