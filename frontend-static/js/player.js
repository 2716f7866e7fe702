// The player: Auto (the HLS master, when the browser plays HLS) or a fixed rendition (quality
// switch keeping time and play state), subtitles, poster, storyboard previews over our seek bar,
// and download links (always the MP4 renditions). Media URLs carry a playback token in the
// query, so <video>, <track> and plain fetch() load them without an Authorization header.
// Before a video is ready it can play live from its HLS (live-player.js) up to what is encoded;
// loading the ready player then goes on from the same time and play state.

import { api, ApiError } from './api.js';
import { $, h, formatBytes, formatClock, captionStateText, captionLanguageText } from './ui.js';
import { parseStoryboard, attachPreview } from './storyboard.js';
import { startLive } from './live-player.js';
import { fillQuality, sourceFor } from './quality.js';

const section = $('#player-section');
const video = $('#player');
const quality = $('#quality');
const captionsToggle = $('#captions-toggle');
const captionsNote = $('#captions-note');
const downloads = $('#downloads');
const seekBar = $('#seek-bar');
const liveNote = $('#live-note');
const LIVE_NOTE = 'Playing while processing — more arrives as it is encoded.';

let generation = 0;  // bumps on every load/reset, so late answers of an old load are ignored
let state = null;    // { videoId, title, playback }
let lastRefresh = 0;
let dragging = false;
let live = null;     // the live loader while a video that is not ready yet plays
let playing = false; // the viewer's play state: a media error pauses the <video> before its event

const preview = attachPreview({
  container: $('#seek-preview'),
  seekBar,
  preview: $('#storyboard-preview'),
  timeLabel: $('#storyboard-time'),
  getDuration: () => video.duration,
});

const captionsChoice = $('#captions-choice');
const tracks = () => [...video.querySelectorAll('track')];

/** Shows the chosen track (or none when subtitles are off); the others stay loaded but hidden.
 *  Subtitles an HLS master brings along (Auto, in a browser that exposes them) repeat our
 *  <track>s: they stay off, so the menu here is the one place to pick subtitles. */
function applyCaptions() {
  const chosen = captionsChoice.value;
  const ours = new Set();
  for (const el of tracks()) {
    if (!el.track) continue;
    ours.add(el.track);
    el.track.mode = captionsToggle.checked && el.srclang + '|' + el.dataset.kind === chosen ? 'showing' : 'hidden';
  }
  for (const track of Array.from(video.textTracks)) {
    if (!ours.has(track) && track.mode !== 'disabled') track.mode = 'disabled';
  }
}

/** Replaces the <track>s, one per caption track: the speech's own language first, then its
 *  English translation. A fresh element loads reliably, unlike a changed src. */
function setCaptions(captions, playback = {}) {
  for (const el of tracks()) {
    if (el.track) el.track.mode = 'disabled';  // else its cues may stay on screen after it is gone
    el.remove();
  }
  const items = captions.map((c) => {
    let name = c.label;
    if (!name) {
      try { name = new Intl.DisplayNames(['en'], { type: 'language' }).of(c.language) || c.language; } catch { name = c.language; }
    }
    return { ...c, name, key: `${c.language}|${c.kind || 'captions'}` };
  });
  items.forEach((c, index) => {
    const el = h('track', {
      class: 'caption-track', kind: 'subtitles', label: c.name, srclang: c.language, src: c.url, default: index === 0,
    });
    el.dataset.kind = c.kind || 'captions';
    el.addEventListener('load', applyCaptions);
    video.append(el);
  });
  captionsChoice.replaceChildren(...items.map((c) => h('option', { value: c.key, text: c.name })));
  captionsChoice.disabled = items.length < 2;
  captionsChoice.hidden = items.length === 0;
  captionsToggle.disabled = items.length === 0;
  const why = captionStateText(playback.captionState, playback.captionFailureReason);
  captionsNote.textContent = items.length ? captionLanguageText(playback) : `(${why || 'no subtitles for this video yet'})`;
  applyCaptions();
}

function safeName(text) {
  return (text || 'video').replace(/[\\/:*?"<>|\u0000-\u001f]+/g, ' ').trim().slice(0, 120) || 'video';
}

function fillDownloads(renditions, title) {
  downloads.replaceChildren(...renditions.map((r) => h('li', {},
    h('a', {
      href: r.url, download: `${safeName(title)} (${r.quality}).mp4`, dataset: { quality: r.quality },
      text: `Download ${r.quality}`,
    }),
    ` ${[r.width && r.height ? `${r.width}×${r.height}` : '', formatBytes(r.size)].filter(Boolean).join(', ')}`)));
}

async function fetchPlayback(videoId) {
  const playback = await api(`/api/videos/${encodeURIComponent(videoId)}/playback`);
  lastRefresh = Date.now();
  return playback;
}

/** Points the <video> at a rendition or the HLS master, then restores time, rate and play state. */
function setSource(url, { time = 0, paused = true, rate = 1 } = {}) {
  playing = !paused;
  video.addEventListener('loadedmetadata', () => {
    if (time > 0) video.currentTime = Math.min(time, video.duration || time);
    video.playbackRate = rate;
    applyCaptions();
    if (!paused) video.play().catch(() => {});
  }, { once: true });
  video.src = url;
}

function stopLive() {
  if (!live) return;
  live.stop();
  live = null;
  delete section.dataset.mode;
  liveNote.hidden = true;
}

/** Plays, unmuted when the browser lets the page, else muted (the controls unmute it). */
function autoplay() {
  video.play().catch((err) => {
    if (err.name !== 'NotAllowedError') return undefined;
    video.muted = true;
    return video.play();
  }).catch(() => {});
}

/**
 * Plays a video that is not ready yet from its HLS, up to what is encoded so far, while the
 * rest is encoded. Resolves true once live playback runs (or already did), false when there is
 * nothing to play live (no HLS yet, ready or failed by now) or another load or a reset overtook it.
 */
export async function loadLive(videoId, { title = '' } = {}) {
  if (live && state && state.videoId === videoId) return true;
  const gen = ++generation;
  const playback = await fetchPlayback(videoId);
  if (gen !== generation) return false;
  if (!playback.hls || playback.status === 'ready' || playback.status === 'failed') return false;
  state = { videoId, title: title || playback.title, playback };
  video.poster = playback.poster || '';
  quality.replaceChildren();
  setCaptions([], playback);
  downloads.replaceChildren();
  preview.setCues([]);
  section.dataset.mode = 'live';
  liveNote.textContent = LIVE_NOTE;
  liveNote.hidden = false;
  section.hidden = false;
  const loader = startLive(video, {
    masterUrl: playback.hls,
    durationSeconds: playback.durationSeconds,
    refresh: async () => (await fetchPlayback(videoId)).hls,
    onError: (err) => {
      // This browser cannot play it live: the player comes back once the video is ready.
      if (live !== loader) return;
      console.warn('live playback stopped:', err);
      stopLive();
      section.hidden = true;
      video.removeAttribute('src');
      video.load();
    },
  });
  live = loader;
  autoplay();
  return true;
}

/**
 * Loads the player for a ready video, in Auto (else the best rendition) or the quality already
 * chosen for it; `t` (seconds) seeks once the metadata is in. After live playback it goes on from
 * the live player's time and play state instead. Resolves the playback links, or null when
 * another load or a reset overtook this one.
 */
export async function loadPlayer(videoId, { t = null, title = '' } = {}) {
  const gen = ++generation;
  const playback = await fetchPlayback(videoId);
  if (gen !== generation) return null;
  state = { videoId, title: title || playback.title, playback };
  if (!playback.renditions.length) throw new ApiError(0, 'no_renditions', 'No playable rendition is stored for this video.');
  // Taken now, not when the load began: the live video kept playing while the links came.
  const from = live
    ? { time: video.currentTime, paused: video.paused, rate: video.playbackRate }
    : { time: t && t > 0 ? t : 0 };
  stopLive();
  video.poster = playback.poster || '';
  fillQuality(quality, playback, video);
  setCaptions(playback.captions || [], playback);
  fillDownloads(playback.renditions, state.title);
  section.hidden = false;
  setSource(sourceFor(playback, quality.value), from);
  loadStoryboard(playback.storyboard, gen);
  return playback;
}

async function loadStoryboard(storyboard, gen) {
  preview.setCues([]);
  if (!storyboard) return;
  try {
    // Plain fetch: the token is in the URL (a 401 here must not end the session).
    const res = await fetch(storyboard.track, { cache: 'no-store', credentials: 'same-origin' });
    if (!res.ok || gen !== generation) return;
    const cues = parseStoryboard(await res.text(), storyboard.track);
    if (gen !== generation) return;
    preview.setCues(cues);
    if (cues.length) new Image().src = cues[0].url; // warm the sprite for the first hover
  } catch { /* previews are optional */ }
}

/** Re-fetches the playback links (their token expires) and points every link at them. */
async function refreshLinks() {
  const gen = generation;
  const playback = await fetchPlayback(state.videoId);
  if (gen !== generation) return false;
  state.playback = playback;
  fillDownloads(playback.renditions, state.title);
  return true;
}

const tokenExpiring = () => !state || Date.parse(state.playback.expiresAt) - Date.now() < 30000;

async function switchQuality() {
  if (!state) return;
  const saved = { time: video.currentTime, paused: video.paused, rate: video.playbackRate };
  if (tokenExpiring()) {
    try { if (!(await refreshLinks())) return; } catch { /* try the old link anyway */ }
  }
  switchTo(saved);
}

export function resetPlayer() {
  generation += 1;
  stopLive();
  state = null;
  section.hidden = true;
  video.pause();
  video.removeAttribute('src');
  video.removeAttribute('poster');
  video.load();
  quality.replaceChildren();
  downloads.replaceChildren();
  preview.clear();
  seekBar.value = 0;
  seekBar.max = 0;
}

export function initPlayer() {
  quality.addEventListener('change', switchQuality);
  captionsToggle.addEventListener('change', applyCaptions);
  captionsChoice.addEventListener('change', applyCaptions);
  video.textTracks.addEventListener('addtrack', applyCaptions);
  // Keep the checkbox in step with the browser's own subtitles menu.
  video.textTracks.addEventListener('change', () => {
    const showing = tracks().find((el) => el.track && el.track.mode === 'showing');
    if (!tracks().length) return;
    captionsToggle.checked = Boolean(showing);
    if (showing) captionsChoice.value = `${showing.srclang}|${showing.dataset.kind}`;
  });

  // Our seek bar (the storyboard previews hang over it) mirrors the video's position.
  const sync = () => {
    const duration = Number.isFinite(video.duration) ? video.duration : 0;
    seekBar.max = duration;
    seekBar.disabled = duration === 0;
    if (!dragging) seekBar.value = video.currentTime;
    seekBar.setAttribute('aria-valuetext', `${formatClock(video.currentTime)} of ${formatClock(duration)}`);
  };
  for (const type of ['loadedmetadata', 'durationchange', 'timeupdate', 'seeked']) video.addEventListener(type, sync);
  seekBar.addEventListener('pointerdown', () => { dragging = true; });
  window.addEventListener('pointerup', () => { dragging = false; });
  seekBar.addEventListener('input', () => { video.currentTime = Number(seekBar.value); });

  // An expired playback token makes the media request fail: fetch fresh links once and go on
  // (playing again if it was: a pause the error itself causes does not count).
  video.addEventListener('play', () => { playing = true; });
  video.addEventListener('pause', () => { if (!video.error) playing = false; });
  video.addEventListener('error', async () => {
    if (live || !state || !video.getAttribute('src') || Date.now() - lastRefresh < 30000) return;
    const saved = { time: video.currentTime, paused: !playing, rate: video.playbackRate };
    try {
      if (await refreshLinks()) switchTo(saved);
    } catch { /* leave the error visible in the player */ }
  });
}

/** Loads what #quality names (Auto's master or a rendition), restoring the saved position and state. */
function switchTo(saved) {
  setSource(sourceFor(state.playback, quality.value), saved);
}
