// "Cut a clip" on the watch page of a ready video: set from and to (at the player's current
// time, by number, or by clicking a caption cue in the editor's list), preview the range, give
// the clip a title and create it (POST /api/videos/{id}/clips). The new video's watch page then
// follows its processing like an upload's.

import { api } from './api.js';
import { $, formatClock, showError, clearMessage } from './ui.js';

const section = $('#clip-maker');
const fromInput = $('#clip-from');
const toInput = $('#clip-to');
const titleInput = $('#clip-title');
const summary = $('#clip-summary');
const create = $('#clip-create');
const video = $('#player');

let current = null;   // { videoId, title, duration }
let previewEnd = null; // while previewing: where playback pauses

const value = (input) => Number(input.value);

/** Says what the range is, and whether it can be cut (at least 1 s, inside the video). */
function describe() {
  if (!current) return;
  const from = value(fromInput), to = value(toInput);
  const ok = Number.isFinite(from) && Number.isFinite(to) && from >= 0 && to <= current.duration + 0.05 && to - from >= 1;
  create.disabled = !ok;
  summary.textContent = ok
    ? `${formatClock(from)} to ${formatClock(to)}: ${(to - from).toFixed(1)} s`
    : 'Choose a range of at least 1 second inside the video.';
}

function set(input, seconds) {
  const clamped = Math.min(Math.max(0, seconds), current ? current.duration : seconds);
  input.value = clamped.toFixed(2);
  describe();
}

let nextBound = 'from';  // which bound the next clicked cue sets

/** A caption cue clicked in the editor's list: the first sets where the clip starts (at the
 *  cue's start), the next where it ends (at that cue's end), and so on in turn. */
export function useCueForClip(start, end) {
  if (!current || section.hidden) return;
  if (nextBound === 'from' || end <= value(fromInput)) {
    set(fromInput, start);
    if (value(toInput) < end) set(toInput, end);
    nextBound = 'to';
  } else {
    set(toInput, end);
    nextBound = 'from';
  }
}

export function openClipMaker(videoId, { title, duration }) {
  if (!Number.isFinite(duration) || duration < 1) { closeClipMaker(); return; }
  current = { videoId, title, duration };
  nextBound = 'from';
  section.hidden = false;
  titleInput.value = `${title} (clip)`;
  fromInput.max = toInput.max = duration.toFixed(2);
  set(fromInput, 0);
  set(toInput, Math.min(duration, 10));
}

export function closeClipMaker() {
  current = null;
  previewEnd = null;
  section.hidden = true;
}

export function initClipMaker() {
  $('#clip-from-here').addEventListener('click', () => set(fromInput, video.currentTime));
  $('#clip-to-here').addEventListener('click', () => set(toInput, video.currentTime));
  fromInput.addEventListener('input', describe);
  toInput.addEventListener('input', describe);
  $('#clip-preview').addEventListener('click', () => {
    previewEnd = value(toInput);
    video.currentTime = value(fromInput);
    video.play().catch(() => {});
  });
  video.addEventListener('timeupdate', () => {
    if (previewEnd !== null && video.currentTime >= previewEnd) {
      video.pause();
      previewEnd = null;
    }
  });
  create.addEventListener('click', async () => {
    if (!current) return;
    clearMessage();
    create.disabled = true;
    try {
      const clip = await api(`/api/videos/${encodeURIComponent(current.videoId)}/clips`, {
        method: 'POST', json: { from: value(fromInput), to: value(toInput), title: titleInput.value.trim() || undefined },
      });
      location.hash = `#/watch/${encodeURIComponent(clip.id)}`;
    } catch (err) {
      showError(err);
    } finally {
      describe();
    }
  });
}
