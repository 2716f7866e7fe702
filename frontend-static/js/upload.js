// The upload view: drop zone or file picker, title, progress, cancel.
// Files up to 8 MiB go in one POST /api/videos (raw body); larger ones through tus.

import { xhrRequest, errorFromBody, currentUser, api } from './api.js';
import { TusUpload } from './tus.js';
import { $, showMessage, showError, formatBytes } from './ui.js';

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

let selected = null;   // the File to upload
let autoTitle = '';    // the title we filled in (replaced when another file is chosen)
let active = null;     // { promise, cancel(), abort() } while uploading

const usageBox = $('#storage-usage');
const usageMeter = $('#storage-meter');
const usageText = $('#storage-text');

export const uploadView = {
  el: document.getElementById('view-upload'),
  enter() { showUsage(); },
  leave() {}, // an upload in progress carries on in the background
};

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

function choose(file) {
  selected = file || null;
  if (!selected) { fileInfo.textContent = 'No file chosen.'; return; }
  fileInfo.textContent = `${selected.name} — ${formatBytes(selected.size)}`;
  if (!titleInput.value.trim() || titleInput.value === autoTitle) {
    autoTitle = selected.name;
    titleInput.value = autoTitle;
  }
  progress.value = 0;
  status.textContent = '';
}

function setBusy(busy) {
  submitButton.disabled = busy;
  fileInput.disabled = busy;
  titleInput.disabled = busy;
  languageInput.disabled = busy;
  cancelButton.disabled = !busy;
  dropZone.classList.toggle('is-busy', busy);
  form.setAttribute('aria-busy', String(busy));
}

function report(sent, total, resumed = false) {
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
  return { promise, cancel: async () => controller.abort(), abort: () => controller.abort() };
}

function tusUpload(file, title, language) {
  // The first report says where the upload starts: past 0 means a remembered upload resumed.
  let resumed = null;
  const onProgress = (sent, total) => {
    if (resumed === null) resumed = sent > 0;
    report(sent, total, resumed);
  };
  const upload = new TusUpload(file, { title, language, userId: currentUser()?.id, onProgress });
  const promise = upload.start();
  return { promise, cancel: () => upload.cancel(), abort: () => upload.abort() };
}

async function startUpload() {
  if (active) return;
  const file = selected;
  if (!file) { showMessage('Choose a video file first.'); fileInput.focus(); return; }
  if (file.size === 0) { showMessage('This file is empty.'); return; }
  const title = titleInput.value.trim();
  setBusy(true);
  status.textContent = 'Starting the upload…';
  const language = languageInput.value;
  const job = file.size <= PLAIN_LIMIT ? plainUpload(file, title, language) : tusUpload(file, title, language);
  active = job;
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
      showError(err);
    }
  } finally {
    active = null;
    setBusy(false);
  }
}

function reset() {
  selected = null;
  autoTitle = '';
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
