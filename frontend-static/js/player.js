// The player: Auto (the HLS master, when the browser plays HLS) or a fixed rendition (quality
// switch keeping time and play state), subtitles, poster, storyboard previews over our seek bar
// (the page's own controls, player-controls.js: the <video> has none of its own), and download
// links (always the MP4 renditions). Media URLs carry a playback token in the query, so <video>,
// <track> and plain fetch() load them without an Authorization header.
// Before a video is ready it can play live from its HLS (live-player.js) up to what is encoded;
// loading the ready player then goes on from the same time and play state.
// Where the viewer was in each video is kept in sessionStorage (every few seconds while it plays,
// on pause, seek and when the page goes away), so a reload goes on from the same moment.

import { api, ApiError } from './api.js';
import { $, h, formatBytes, captionStateText, captionLanguageText } from './ui.js';
import { parseStoryboard } from './storyboard.js';
import { preview, initControls, resetControls } from './player-controls.js';
import { startLive } from './live-player.js';
import { fillQuality, sourceFor } from './quality.js';

const section = $('#player-section');
const video = $('#player');
const quality = $('#quality');
const captionsToggle = $('#captions-toggle');
const captionsNote = $('#captions-note');
const downloads = $('#downloads');
const liveNote = $('#live-note');
const LIVE_NOTE = 'Playing while processing — more arrives as it is encoded.';

let generation = 0;  // bumps on every load/reset, so late answers of an old load are ignored
let state = null;    // { videoId, title, playback, from }
let lastRefresh = 0;
let live = null;     // the live loader while a video that is not ready yet plays
let playing = false; // the viewer's play state: a media error pauses the <video> before its event

// --- Where the viewer was, per video (sessionStorage: this tab, kept across reloads) ---

const POSITION_KEY = 'clipcut.position.';
const SAVE_EVERY_MS = 3000;
let positionKnown = false; // false from a new src until its metadata is in and the start is sought
let lastSave = 0;

function readPosition(videoId) {
  try {
    const saved = JSON.parse(sessionStorage.getItem(POSITION_KEY + videoId) || 'null');
    return saved && Number.isFinite(saved.time) ? saved : null;
  } catch { return null; }
}

/** Saves the time and play state of the video on the page; `from` is the `?t=` the view was
 *  opened with, so a reload of that same link goes on from here while a link to another moment
 *  still goes to its moment. A finished video (or one barely started) forgets its place. */
function savePosition() {
  if (!state || live || !positionKnown || !video.getAttribute('src')) return;
  const key = POSITION_KEY + state.videoId;
  const time = video.currentTime;
  lastSave = Date.now();
  try {
    if (video.ended || !(time >= 1)) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, JSON.stringify({ time, playing: !video.paused, from: state.from }));
  } catch { /* storage full or off: nothing to resume from */ }
}

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
  const none = why || 'no subtitles for this video yet';
  captionsNote.textContent = items.length ? captionLanguageText(playback) : `${none[0].toUpperCase()}${none.slice(1)}.`;
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
  positionKnown = false;
  video.addEventListener('loadedmetadata', () => {
    if (time > 0) video.currentTime = Math.min(time, video.duration || time);
    positionKnown = true;
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
 * chosen for it; `t` (seconds) seeks once the metadata is in. With `resume` (the view opening),
 * a position saved for the same video and the same `t` (a reload) wins: it goes on from there,
 * playing if it was. After live playback it goes on from the live player's time and play state
 * instead. Resolves the playback links, or null when another load or a reset overtook this one.
 */
export async function loadPlayer(videoId, { t = null, title = '', resume = false } = {}) {
  const gen = ++generation;
  const opened = resume ? (t ?? null) : (state?.videoId === videoId ? state.from : null);
  const playback = await fetchPlayback(videoId);
  if (gen !== generation) return null;
  state = { videoId, title: title || playback.title, playback, from: opened };
  if (!playback.renditions.length) throw new ApiError(0, 'no_renditions', 'No playable rendition is stored for this video.');
  const saved = resume ? readPosition(videoId) : null;
  // Taken now, not when the load began: the live video kept playing while the links came.
  let from = live
    ? { time: video.currentTime, paused: video.paused, rate: video.playbackRate }
    : { time: t && t > 0 ? t : 0 };
  if (!live && saved && (saved.from ?? null) === opened) from = { time: saved.time, paused: !saved.playing };
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

/** The title changed (the owner edited it): the download names follow. */
export function setPlayerTitle(title) {
  if (!state || !title) return;
  state.title = title;
  if (!live) fillDownloads(state.playback.renditions, title);
}

export function resetPlayer() {
  savePosition(); // leaving the view: coming back goes on from here
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
  resetControls();
}

export function initPlayer() {
  initControls();
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

  // Where the viewer is: every few seconds while playing, at once on pause, seek and the end,
  // and when the page goes away (a reload, a closed tab, a phone switching apps).
  video.addEventListener('timeupdate', () => { if (Date.now() - lastSave >= SAVE_EVERY_MS) savePosition(); });
  for (const type of ['pause', 'seeked', 'ended']) video.addEventListener(type, savePosition);
  window.addEventListener('pagehide', savePosition);
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') savePosition(); });

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
