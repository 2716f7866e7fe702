// The player's one set of controls. The <video> has no native controls (tabbing through those
// showed no focus ring), so every stop here is a page control with the page's focus ring:
// play/pause, the time, one seek bar with storyboard previews (on hover, and on keyboard focus
// and arrow keys), mute and volume, full screen. Subtitles and quality are player.js's; they sit
// in the same bar, and the whole frame (video and bar) is what goes full screen.

import { $, formatClock } from './ui.js';
import { attachPreview } from './storyboard.js';

const video = $('#player');
const frame = $('#player-frame');
const seekBar = $('#seek-bar');
const playButton = $('#play-toggle');
const timeEl = $('#player-time');
const muteButton = $('#mute-toggle');
const volume = $('#volume');
const fullscreenButton = $('#fullscreen-toggle');

const ARROW_STEP = 5;          // seconds per arrow key on the seek bar
const KEY_PREVIEW_MS = 4000;   // how long a keyboard-shown preview stays after the last key

let dragging = false;
let hideTimer = 0;

/** The storyboard previews over the seek bar: setCues(cues), clear(), showAt(seconds), hide(). */
export const preview = attachPreview({
  container: $('#seek-preview'),
  seekBar,
  preview: $('#storyboard-preview'),
  timeLabel: $('#storyboard-time'),
  getDuration: () => video.duration,
});

const duration = () => (Number.isFinite(video.duration) ? video.duration : 0);

function describe(time) {
  const total = duration();
  seekBar.setAttribute('aria-valuetext', `${formatClock(time)} of ${formatClock(total)}`);
  timeEl.textContent = `${formatClock(time)} / ${formatClock(total)}`;
}

/** The seek bar and the time mirror the video's position (not while the thumb is dragged). */
function sync() {
  const total = duration();
  seekBar.max = total;
  seekBar.disabled = total === 0;
  if (!dragging) seekBar.value = video.currentTime;
  describe(dragging ? Number(seekBar.value) : video.currentTime);
}

function seekTo(time) {
  const target = Math.min(Math.max(time, 0), duration());
  seekBar.value = target;
  video.currentTime = target;
  describe(target);
  return target;
}

/** A preview the keyboard asked for; it goes after a while without keys (or on blur, Escape). */
function keyboardPreview(time) {
  preview.showAt(time);
  clearTimeout(hideTimer);
  hideTimer = setTimeout(() => preview.hide(), KEY_PREVIEW_MS);
}

function onSeekKey(event) {
  const total = duration();
  if (!total || event.altKey || event.ctrlKey || event.metaKey) return;
  const now = Number(seekBar.value);
  const page = Math.max(total / 10, ARROW_STEP);
  const targets = {
    ArrowLeft: now - ARROW_STEP, ArrowDown: now - ARROW_STEP,
    ArrowRight: now + ARROW_STEP, ArrowUp: now + ARROW_STEP,
    PageDown: now - page, PageUp: now + page, Home: 0, End: total,
  };
  if (!(event.key in targets)) return;
  event.preventDefault(); // the range's own step (0.1 s) is too small to be useful from keys
  keyboardPreview(seekTo(targets[event.key]));
}

function togglePlay() {
  if (!video.getAttribute('src')) return;
  if (video.paused || video.ended) video.play().catch(() => {});
  else video.pause();
}

function showPlayState() {
  const paused = video.paused;
  playButton.dataset.state = paused ? 'paused' : 'playing';
  playButton.setAttribute('aria-label', paused ? 'Play' : 'Pause');
}

function showVolume() {
  const silent = video.muted || video.volume === 0;
  muteButton.dataset.state = silent ? 'muted' : 'sound';
  muteButton.setAttribute('aria-label', silent ? 'Unmute' : 'Mute');
  volume.value = video.muted ? 0 : video.volume;
  volume.setAttribute('aria-valuetext', `${Math.round(Number(volume.value) * 100)} %`);
}

function showFullscreen() {
  const on = document.fullscreenElement === frame;
  fullscreenButton.dataset.state = on ? 'fullscreen' : 'window';
  fullscreenButton.setAttribute('aria-label', on ? 'Exit full screen' : 'Full screen');
  frame.classList.toggle('is-fullscreen', on);
}

function toggleFullscreen() {
  if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  else frame.requestFullscreen().catch(() => {});
}

/** Back to an empty player (no video loaded). */
export function resetControls() {
  clearTimeout(hideTimer);
  preview.clear();
  dragging = false;
  seekBar.value = 0;
  seekBar.max = 0;
  seekBar.disabled = true;
  describe(0);
  showPlayState();
  if (document.fullscreenElement === frame) document.exitFullscreen().catch(() => {});
}

export function initControls() {
  for (const type of ['loadedmetadata', 'durationchange', 'timeupdate', 'seeked', 'emptied']) video.addEventListener(type, sync);
  seekBar.addEventListener('pointerdown', () => { dragging = true; });
  window.addEventListener('pointerup', () => { dragging = false; });
  seekBar.addEventListener('input', () => {
    video.currentTime = Number(seekBar.value);
    describe(Number(seekBar.value));
  });
  seekBar.addEventListener('keydown', onSeekKey);
  // Focus from the keyboard shows where the thumb is (a click focuses too: the pointer shows that).
  seekBar.addEventListener('focus', () => {
    if (seekBar.matches(':focus-visible') && !seekBar.disabled) keyboardPreview(Number(seekBar.value));
  });
  seekBar.addEventListener('blur', () => clearTimeout(hideTimer));

  playButton.addEventListener('click', togglePlay);
  video.addEventListener('click', togglePlay);
  video.addEventListener('dblclick', toggleFullscreen);
  for (const type of ['play', 'pause', 'ended', 'emptied']) video.addEventListener(type, showPlayState);

  muteButton.addEventListener('click', () => {
    if (video.muted || video.volume === 0) {
      video.muted = false;
      if (video.volume === 0) video.volume = 0.5;
    } else {
      video.muted = true;
    }
  });
  volume.addEventListener('input', () => {
    const level = Number(volume.value);
    video.volume = level;
    video.muted = level === 0;
  });
  video.addEventListener('volumechange', showVolume);

  fullscreenButton.hidden = !document.fullscreenEnabled;
  fullscreenButton.addEventListener('click', toggleFullscreen);
  document.addEventListener('fullscreenchange', showFullscreen);

  resetControls();
  showVolume();
}
