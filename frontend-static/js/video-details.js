// The owner's part of the watch view, under the title: edit the title and description, and share.
// Both go through PATCH /api/videos/{id}; an error shows the API's own message. Sharing is the
// visibility (private: only the owner; unlisted: anyone with the link, signed in or not, gets
// playback links from GET /api/videos/{id}/playback) and the link to this view, copied to the
// clipboard and shown in a field (to copy by hand where the clipboard is not available).

import { api } from './api.js';
import { $, showError, clearMessage } from './ui.js';

const actions = $('#watch-actions');
const status = $('#details-status');
const badge = $('#visibility-badge');
const detailsToggle = $('#details-toggle');
const form = $('#details-form');
const titleInput = $('#details-title');
const descriptionInput = $('#details-description');
const saveButton = $('#details-save');
const shareToggle = $('#share-toggle');
const sharePanel = $('#share-panel');
const radios = [...document.querySelectorAll('#share-panel input[name="visibility"]')];
const linkInput = $('#share-link');
const copyButton = $('#share-copy');
const shareNote = $('#share-note');
const shareStatus = $('#share-status');

const VISIBILITY = {
  private: { badge: 'Private', note: 'Private: this link opens the video for you only. Make it unlisted to share it.' },
  unlisted: { badge: 'Unlisted', note: 'Unlisted: anyone with this link can watch it, signed in or not. It is not listed anywhere.' },
};

let current = null; // { video, onChange(video) }

/** The link to a video's watch view on this page (no ?t=: it opens at the start). */
export function watchLink(videoId) {
  return new URL(`#/watch/${encodeURIComponent(videoId)}`, location.href).href;
}

function say(el, text, kind = 'notice') {
  el.textContent = text;
  el.dataset.kind = kind;
}

function showVisibility(visibility) {
  const known = VISIBILITY[visibility] ? visibility : 'private';
  for (const radio of radios) radio.checked = radio.value === known;
  badge.textContent = VISIBILITY[known].badge;
  badge.dataset.visibility = known;
  shareNote.textContent = VISIBILITY[known].note;
}

function setOpen(toggle, panel, open) {
  panel.hidden = !open;
  toggle.setAttribute('aria-expanded', String(open));
}

function openForm() {
  titleInput.value = current.video.title;
  descriptionInput.value = current.video.description || '';
  titleInput.removeAttribute('aria-invalid');
  setOpen(detailsToggle, form, true);
  titleInput.focus();
}

function closeForm({ focus = false } = {}) {
  setOpen(detailsToggle, form, false);
  if (focus) detailsToggle.focus();
}

/** Sends a change; resolves the updated video, or null after showing the API's message. */
async function patch(changes, line) {
  clearMessage();
  try {
    const video = await api(`/api/videos/${encodeURIComponent(current.video.id)}`, { method: 'PATCH', json: changes });
    current.video = video;
    current.onChange(video);
    return video;
  } catch (err) {
    showError(err);
    if (err.name === 'ApiError' && !err.handled) say(line, err.message, 'error');
    return null;
  }
}

async function save(event) {
  event.preventDefault();
  if (!current) return;
  saveButton.disabled = true;
  form.setAttribute('aria-busy', 'true');
  say(status, '');
  const owner = current;
  // The server trims and checks both (1–200 characters of title, at most 5,000 of description).
  const video = await patch({ title: titleInput.value, description: descriptionInput.value }, status);
  saveButton.disabled = false;
  form.removeAttribute('aria-busy');
  if (owner !== current) return;
  if (video) {
    closeForm({ focus: true });
    say(status, 'Saved.');
  } else {
    titleInput.setAttribute('aria-invalid', String(/title/i.test(status.textContent)));
  }
}

async function changeVisibility(radio) {
  if (!current || !radio.checked || radio.value === current.video.visibility) return;
  const before = current.video.visibility;
  const owner = current;
  for (const r of radios) r.disabled = true;
  say(shareStatus, '');
  const video = await patch({ visibility: radio.value }, shareStatus);
  for (const r of radios) r.disabled = false;
  if (owner !== current) return;
  showVisibility(video ? video.visibility : before);
  if (video) say(shareStatus, video.visibility === 'unlisted' ? 'Unlisted: the link works for anyone who has it.' : 'Private again: only you can watch it.');
  radio.focus();
}

async function copyLink() {
  linkInput.focus();
  linkInput.select();
  let copied = false;
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(linkInput.value);
      copied = true;
    }
  } catch { /* not allowed here: try the selection */ }
  if (!copied) {
    try { copied = document.execCommand('copy'); } catch { copied = false; }
  }
  copyButton.focus();
  say(shareStatus, copied ? 'Link copied.' : 'The link is selected in the field: copy it with Ctrl+C (⌘C on a Mac).');
}

/** Shows the owner's controls for `video` (from GET /api/videos/{id}); `onChange(video)` runs
 *  after each saved change, with the updated video. */
export function openDetails(video, onChange) {
  current = { video, onChange };
  actions.hidden = false;
  closeForm();
  setOpen(shareToggle, sharePanel, false);
  say(status, '');
  say(shareStatus, '');
  linkInput.value = watchLink(video.id);
  showVisibility(video.visibility);
}

export function closeDetails() {
  current = null;
  actions.hidden = true;
  closeForm();
  setOpen(shareToggle, sharePanel, false);
}

export function initDetails() {
  detailsToggle.addEventListener('click', () => {
    if (!current) return;
    if (form.hidden) openForm();
    else closeForm();
  });
  $('#details-cancel').addEventListener('click', () => closeForm({ focus: true }));
  form.addEventListener('submit', save);
  shareToggle.addEventListener('click', () => {
    if (current) setOpen(shareToggle, sharePanel, sharePanel.hidden);
  });
  for (const radio of radios) radio.addEventListener('change', () => changeVisibility(radio));
  copyButton.addEventListener('click', copyLink);
  linkInput.addEventListener('focus', () => linkInput.select());
  // Escape closes an open panel and gives focus back to the button that opened it.
  form.addEventListener('keydown', (event) => { if (event.key === 'Escape') closeForm({ focus: true }); });
  sharePanel.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    setOpen(shareToggle, sharePanel, false);
    shareToggle.focus();
  });
}
