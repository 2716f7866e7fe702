// The owner's caption editor on the watch page: pick a track, fix a cue's words or times (each
// row plays from its cue), save; or replace the track with a WebVTT/SRT file; or delete it.
// Saving goes through upload-service, which re-renders HLS, asks for the MP4 re-mux and updates
// search.

import { api, apiFetch, errorFromResponse } from './api.js';
import { $, h, showMessage, showError } from './ui.js';
import { useCueForClip } from './clip-maker.js';

const section = $('#captions-editor');
const choice = $('#captions-editor-track');
const list = $('#captions-editor-cues');
const save = $('#captions-editor-save');
const fileInput = $('#captions-editor-file');
const remove = $('#captions-editor-delete');
const note = $('#captions-editor-note');
const video = $('#player');

let current = null;  // { videoId, tracks: [{language, url, label}], onChange }

/** Parses the WebVTT the player serves into cues (start, end, text). */
function parseVTT(text) {
  const cues = [];
  const stamp = (s) => s.trim().split(':').reduce((total, part) => total * 60 + Number(part), 0);
  for (const block of text.replace(/\r\n/g, '\n').split('\n\n')) {
    const lines = block.split('\n');
    const at = lines.findIndex((l) => l.includes('-->'));
    if (at < 0) continue;
    const [start, end] = lines[at].split('-->').map((t) => stamp(t.trim().split(' ')[0]));
    const body = lines.slice(at + 1).join(' ').trim()
      .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    if (body && Number.isFinite(start) && Number.isFinite(end)) cues.push({ start, end, text: body });
  }
  return cues;
}

function row(cue) {
  const input = (value, label, cls) => h('input', { type: 'number', step: '0.001', min: '0', value: value.toFixed(3), 'aria-label': label, class: cls });
  const play = h('button', { type: 'button', class: 'secondary small', text: '▶' });
  play.setAttribute('aria-label', `Play from ${cue.start.toFixed(1)} s`);
  play.addEventListener('click', () => { video.currentTime = cue.start; video.play().catch(() => {}); });
  const clip = h('button', { type: 'button', class: 'secondary small cue-clip', text: '✂' });
  clip.setAttribute('aria-label', `Use ${cue.start.toFixed(1)}–${cue.end.toFixed(1)} s for the clip`);
  clip.addEventListener('click', () => useCueForClip(cue.start, cue.end));
  return h('li', { class: 'cue-row' }, play, clip, input(cue.start, 'Start (s)', 'cue-start'), input(cue.end, 'End (s)', 'cue-end'),
    h('input', { type: 'text', value: cue.text, 'aria-label': 'Text', class: 'cue-text', maxlength: '1000' }));
}

async function showTrack() {
  const track = current?.tracks.find((t) => t.language === choice.value);
  list.replaceChildren();
  if (!track) return;
  const res = await apiFetch(track.url, { auth: false });
  if (!res.ok) throw await errorFromResponse(res);
  list.replaceChildren(...parseVTT(await res.text()).map(row));
}

function cuesFromRows() {
  return [...list.querySelectorAll('.cue-row')].map((li) => ({
    start: Number(li.querySelector('.cue-start').value),
    end: Number(li.querySelector('.cue-end').value),
    text: li.querySelector('.cue-text').value.trim(),
  })).filter((c) => c.text);
}

async function afterChange(message) {
  showMessage(message, { kind: 'notice' });
  await current?.onChange();  // reloads the player and this editor
  note.textContent = message;
}

async function run(work) {
  for (const el of [save, remove, fileInput, choice]) el.disabled = true;
  try {
    await work();
  } catch (err) {
    showError(err);
  } finally {
    for (const el of [save, remove, fileInput, choice]) el.disabled = false;
  }
}

/** Shows the editor for the owner of a ready video; `onChange` reloads the player. */
export async function openCaptionEditor(videoId, playback, onChange) {
  current = { videoId, tracks: playback.captions || [], onChange };
  section.hidden = false;
  note.textContent = playback.captionEdited ? 'These captions were edited.' : '';
  const languages = current.tracks.map((t) => h('option', { value: t.language, text: t.label || t.language }));
  choice.replaceChildren(...languages);
  remove.disabled = languages.length === 0;
  save.disabled = languages.length === 0;
  await showTrack().catch(showError);
}

export function closeCaptionEditor() {
  current = null;
  section.hidden = true;
  list.replaceChildren();
}

export function initCaptionEditor() {
  choice.addEventListener('change', () => showTrack().catch(showError));
  save.addEventListener('click', () => run(async () => {
    const language = choice.value;
    await api(`/api/videos/${encodeURIComponent(current.videoId)}/captions/${language}`, { method: 'PUT', json: { cues: cuesFromRows() } });
    await afterChange('The captions are saved. The downloads are updated in a moment.');
  }));
  fileInput.addEventListener('change', () => run(async () => {
    const file = fileInput.files[0];
    fileInput.value = '';
    if (!file) return;
    const language = choice.value || 'en';
    const type = file.name.toLowerCase().endsWith('.srt') ? 'application/x-subrip' : 'text/vtt';
    const res = await apiFetch(`/api/videos/${encodeURIComponent(current.videoId)}/captions/${language}`,
      { method: 'PUT', headers: { 'Content-Type': type }, body: file });
    if (!res.ok) throw await errorFromResponse(res);
    await afterChange(`“${file.name}” replaced the captions.`);
  }));
  remove.addEventListener('click', () => run(async () => {
    const language = choice.value;
    await api(`/api/videos/${encodeURIComponent(current.videoId)}/captions/${language}`, { method: 'DELETE' });
    await afterChange('The caption track is deleted.');
  }));
}
