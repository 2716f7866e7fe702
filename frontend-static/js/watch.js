// The watch view. The owner's: the title and description (editable), sharing, the live
// processing panel (fed by the SSE feed) and the player: live from the HLS once the video is
// playable (while the panel goes on), then the full player once it is ready. Anyone else, signed
// in or not, with the link of an unlisted video: its player only (GET /api/videos/{id} is the
// owner's; GET /api/videos/{id}/playback answers anyone for an unlisted video).

import { api, isLoggedIn } from './api.js';
import { openFeed } from './feed.js';
import { loadPlayer, loadLive, resetPlayer, setPlayerTitle } from './player.js';
import { openCaptionEditor, closeCaptionEditor } from './captions-editor.js';
import { openClipMaker, closeClipMaker } from './clip-maker.js';
import { openDetails, closeDetails } from './video-details.js';
import { $, h, showMessage, showError, formatEta, formatClock, ordinal } from './ui.js';

const NOT_YOURS = 'This video does not exist or is not yours.';
const MAX_LOG_LINES = 1000;

const view = document.getElementById('view-watch');
const titleEl = $('#video-title');
const originEl = $('#clip-origin');
const descriptionEl = $('#video-description');
const signInEl = $('#watch-signin');
const panel = $('#processing-panel');
const stageEl = $('#stage');
const queueEl = $('#queue-position');
const queueDetail = $('#queue-detail');
const etaEl = $('#eta');
const fpsEl = $('#fps');
const speedEl = $('#speed');
const overall = $('#overall-progress');
const overallText = $('#overall-percent');
const rungsEl = $('#rungs');
const logEl = $('#log');
const connectionEl = $('#feed-connection');

const STAGES = {
  queued: 'Waiting in the queue',
  probing: 'Reading the source',
  extracting_audio: 'Extracting the audio',
  transcribing: 'Transcribing the speech',
  transcoding: 'Transcoding',
  playable: 'Playable while processing',
  packaging: 'Packaging',
  storing: 'Storing',
};

let feed = null;
let generation = 0;
let seen = new Set(); // eventIds already shown (a reconnect may replay some)
let live = 'off';     // live playback before ready: 'off', 'starting' or 'on'

export const watchView = { el: view, enter, leave };

/** The panel's data-status: uploaded / processing / ready / failed (playable is still processing). */
function setStatus(status) {
  const mapped = ['transcribing', 'transcoding', 'playable'].includes(status) ? 'processing' : status;
  panel.dataset.status = mapped;
}

function setStage(raw, text) {
  stageEl.dataset.stage = raw;
  stageEl.textContent = text;
}

function resetPanel() {
  seen = new Set();
  live = 'off';
  panel.hidden = false;
  delete panel.dataset.status;
  setStage('', '—');
  for (const el of [queueEl, etaEl, fpsEl, speedEl]) el.textContent = '—';
  queueDetail.textContent = '';
  connectionEl.textContent = '';
  rungsEl.replaceChildren();
  setFailed(false);
  overall.value = 0;
  overallText.textContent = '0%';
  logEl.textContent = '';
}

// The overall bar: each stage a share, in the order the stages run (a stage's own percent moves
// the bar through its share). Captions run beside the encode and do not move it, and the bar
// never goes back: packaging at 25 % comes after transcoding at 99 %.
const STAGE_SHARES = { probing: [0, 3], transcoding: [3, 88], playable: [3, 88], packaging: [88, 97], storing: [97, 100] };

function overallPercent(stage, percent) {
  const share = STAGE_SHARES[stage];
  if (!share || !Number.isFinite(percent)) return null;
  const [from, to] = share;
  return from + (to - from) * Math.max(0, Math.min(100, percent)) / 100;
}

/** Marks the bars as failed (the danger colour, "Failed" for the percent), or clears that. */
function setFailed(failed) {
  for (const bar of [overall, ...rungsEl.querySelectorAll('progress')]) {
    if (failed) bar.dataset.state = 'failed';
    else delete bar.dataset.state;
  }
  if (failed) overallText.textContent = 'Failed';
}

function setPercent(progress, label, percent) {
  const value = Math.max(0, Math.min(100, Number(percent) || 0));
  progress.value = value;
  label.textContent = `${Math.floor(value)}%`;
}

/** The bar of one rung, created the first time the rung is named. */
function rungBar(rung) {
  const existing = [...rungsEl.querySelectorAll('progress')].find((p) => p.dataset.rung === rung);
  if (existing) return existing;
  const id = `rung-${rungsEl.children.length + 1}`;
  const bar = h('progress', { id, max: 100, value: 0, dataset: { rung } });
  rungsEl.append(h('div', { class: 'rung' },
    h('label', { for: id, text: rung }), bar, h('span', { class: 'percent', text: '0%' })));
  return bar;
}

function setRung(rung, percent) {
  const bar = rungBar(rung);
  setPercent(bar, bar.nextElementSibling, percent);
  // Rungs are handled one after another: the earlier ones are finished.
  for (const other of rungsEl.querySelectorAll('progress')) {
    if (other === bar) break;
    setPercent(other, other.nextElementSibling, 100);
  }
}

function finishRungs() {
  for (const bar of rungsEl.querySelectorAll('progress')) setPercent(bar, bar.nextElementSibling, 100);
}

function appendLog(line) {
  const nearBottom = logEl.scrollHeight - logEl.scrollTop - logEl.clientHeight < 40;
  logEl.append(`${line}\n`);
  while (logEl.childNodes.length > MAX_LOG_LINES) logEl.firstChild.remove();
  if (nearBottom) logEl.scrollTop = logEl.scrollHeight;
}

/** Starts live playback once (again later if there was nothing to play yet). */
async function startLivePlayback(id, gen) {
  if (live !== 'off') return;
  live = 'starting';
  let started = false;
  try {
    started = await loadLive(id, { title: titleEl.textContent });
  } catch { /* the panel goes on; the player comes when the video is ready */ }
  if (gen === generation && live === 'starting') live = started ? 'on' : 'off';
}

// --- Feed handlers ---

function onProgress(message, id, gen) {
  // The envelope is flat ({type, version, eventId, at, stage, …}); accept a nested payload too.
  const p = message.payload && typeof message.payload === 'object' ? message.payload : message;
  if (message.eventId) {
    if (seen.has(message.eventId)) return;
    seen.add(message.eventId);
  }
  if (p.stage !== 'queued') {
    setStatus('processing');
    queueEl.textContent = '—';
    queueDetail.textContent = '';
  }
  const name = STAGES[p.stage] || p.stage || '—';
  setStage(p.stage || '', p.rung ? `${name} (${p.rung})` : name);
  const total = overallPercent(p.stage, p.percent);
  if (total !== null && total > overall.value) setPercent(overall, overallText, total);
  // One ffmpeg encodes every rung in step: a transcoding update names all the rungs it covers.
  if (Array.isArray(p.rungs) && Number.isFinite(p.percent)) {
    for (const rung of p.rungs) setPercent(rungBar(rung), rungBar(rung).nextElementSibling, p.percent);
  } else if (p.rung && p.stage === 'transcoding' && Number.isFinite(p.percent)) {
    setRung(p.rung, p.percent);
  }
  etaEl.textContent = Number.isFinite(p.etaSeconds) ? formatEta(p.etaSeconds) : '—';
  fpsEl.textContent = Number.isFinite(p.fps) ? p.fps.toFixed(1) : '—';
  speedEl.textContent = Number.isFinite(p.speed) ? `${p.speed.toFixed(2)}×` : '—';
  if (p.logLine) appendLog(p.logLine);
  // The first update with playableSeconds: the video plays now, up to what is encoded.
  if (Number.isFinite(p.playableSeconds)) startLivePlayback(id, gen);
}

function onQueue(q) {
  if (!Number.isFinite(q.position)) return;
  queueEl.textContent = `${ordinal(q.position)} in queue, ${q.ahead} ahead`;
  queueDetail.textContent = `(${q.waiting} waiting, ${q.inProgress} being processed)`;
  if (!stageEl.dataset.stage) setStage('queued', STAGES.queued);
}

async function onDone(done, id, t, gen) {
  feed = null;
  connectionEl.textContent = '';
  setStatus(done.status);
  etaEl.textContent = '—';
  if (done.status === 'ready') {
    setStage('ready', 'Ready');
    setPercent(overall, overallText, 100);
    finishRungs();
    await showPlayer(id, t, gen);
  } else {
    live = 'off';
    resetPlayer();
    showFailure(done.failureReason);
  }
}

function showFailure(reason) {
  setStage('failed', reason ? `Failed: ${reason}` : 'Failed');
  setFailed(true);
}

let durationSeconds = NaN;  // of the video on the page, for the clip maker

/** The heading, the tab's title and the description (shown when there is one). */
function showDetails({ title, description }) {
  titleEl.textContent = title;
  document.title = `${title} — ClipCut`;
  if (description !== undefined) {
    descriptionEl.textContent = description || '';
    descriptionEl.hidden = !description;
  }
}

/** Loads the ready player (going on from a reload's saved moment); the owner also gets the
 *  caption editor and the clip maker. */
async function showPlayer(id, t, gen, { owner = true } = {}) {
  try {
    const playback = await loadPlayer(id, { t, title: titleEl.textContent, resume: true });
    // Every stored rendition is finished (also when the feed was never opened or replayed).
    if (playback && gen === generation && owner) {
      for (const r of playback.renditions) rungBar(r.quality);
      finishRungs();
      const reload = async () => {
        const again = await loadPlayer(id, { t: document.getElementById('player').currentTime, title: titleEl.textContent });
        if (again && gen === generation) await openCaptionEditor(id, again, reload);
      };
      await openCaptionEditor(id, playback, reload);
      openClipMaker(id, { title: titleEl.textContent, duration: durationSeconds });
    }
  } catch (err) {
    if (gen !== generation) return;
    if (err.status === 404) showMessage(NOT_YOURS);
    else showError(err);
  }
}

/** For a visitor who is not signed in: a way to log in (which comes back to this video). */
function offerLogin(before, after) {
  signInEl.replaceChildren(before, h('a', { href: '#/login', text: 'Log in' }), after);
  signInEl.hidden = isLoggedIn();
}

function notFound() {
  titleEl.textContent = 'Video not found';
  document.title = 'ClipCut';
  showMessage(NOT_YOURS);
  offerLogin('Is it yours? ', ' to watch it.');
}

/**
 * Someone else's video (or anyone's, for a visitor who is not signed in): it plays when it is
 * unlisted. A private or unknown video is 404 to a signed-in caller and 401 to a visitor, and
 * both read "does not exist or is not yours", like the owner's routes say it.
 */
async function enterShared(id, t, gen) {
  panel.hidden = true;
  let playback;
  try {
    playback = await api(`/api/videos/${encodeURIComponent(id)}/playback`);
  } catch (err) {
    if (gen !== generation) return;
    if (err.status === 404 || (err.status === 401 && !err.handled)) notFound();
    else {
      titleEl.textContent = 'Could not load the video';
      showError(err);
    }
    return;
  }
  if (gen !== generation) return;
  showDetails({ title: playback.title });
  durationSeconds = playback.durationSeconds;
  offerLogin('Shared with you by its link. ', ' to upload and share your own videos.');
  if (playback.status === 'ready') await showPlayer(id, t, gen, { owner: false });
  else if (playback.status === 'failed') showMessage('This video could not be processed.');
  else showMessage('This video is still being processed; it plays here once it is ready. Reload the page then.', { kind: 'notice' });
}

// --- View ---

async function enter({ id, t }) {
  const gen = ++generation;
  resetPanel();
  resetPlayer();
  closeCaptionEditor();
  closeClipMaker();
  closeDetails();
  durationSeconds = NaN;
  originEl.hidden = true;
  descriptionEl.hidden = true;
  signInEl.hidden = true;
  titleEl.textContent = 'Loading…';
  if (!isLoggedIn()) {
    await enterShared(id, t, gen);
    return;
  }
  let video;
  try {
    video = await api(`/api/videos/${encodeURIComponent(id)}`);
  } catch (err) {
    if (gen !== generation) return;
    panel.hidden = true;
    // Not the caller's: an unlisted video still plays for them.
    if (err.status === 404) await enterShared(id, t, gen);
    else {
      titleEl.textContent = 'Could not load the video';
      showError(err);
    }
    return;
  }
  if (gen !== generation) return;
  showDetails(video);
  openDetails(video, (changed) => {
    if (gen !== generation) return;
    showDetails(changed);
    setPlayerTitle(changed.title);
  });
  durationSeconds = video.durationSeconds;
  if (video.clipOf) {
    const source = h('a', { href: `#/watch/${encodeURIComponent(video.clipOf.videoId)}`, text: 'the video it was cut from' });
    originEl.replaceChildren(
      `A clip of ${formatClock(video.clipOf.from)}–${formatClock(video.clipOf.to)} of `, source, '.');
    originEl.hidden = false;
  }
  setStatus(video.status);
  if (video.status === 'ready') {
    setStage('ready', 'Ready');
    setPercent(overall, overallText, 100);
    await showPlayer(id, t, gen);
    return;
  }
  if (video.status === 'failed') {
    showFailure(video.failureReason);
    return;
  }
  const initial = video.status === 'uploaded' ? 'queued' : video.status;
  setStage(initial, STAGES[initial] || initial);
  feed = openFeed(id, {
    progress: (message) => { if (gen === generation) onProgress(message, id, gen); },
    queue: onQueue,
    done: (done) => { if (gen === generation) onDone(done, id, t, gen); },
    connection: (state) => { connectionEl.textContent = state === 'reconnecting' ? 'Connection lost; reconnecting…' : ''; },
    error: (err) => {
      if (gen !== generation) return;
      if (err.status === 404) showMessage(NOT_YOURS);
      else showError(err);
    },
  });
  if (video.status === 'playable') startLivePlayback(id, gen);
}

function leave() {
  generation += 1;
  if (feed) feed.close();
  feed = null;
  resetPlayer();
  closeDetails();
  document.title = 'ClipCut';
}
