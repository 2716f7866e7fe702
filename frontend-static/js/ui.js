// Small DOM helpers, the #message area, and formatting of sizes, times and dates.

export const $ = (selector, root = document) => root.querySelector(selector);

/**
 * Creates an element. attrs: `class`, `text`, `dataset` (object), `hidden` (boolean), anything
 * else as an attribute (skipped when null/false). Children: nodes or strings.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'hidden') el.hidden = Boolean(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

// --- #message ---

const messageEl = () => document.getElementById('message');
let keepOnNextRoute = false;

/** Shows text in #message; `keep` lets it survive the next route change (e.g. to #/login). */
export function showMessage(text, { kind = 'error', keep = false } = {}) {
  const el = messageEl();
  el.textContent = text;
  el.dataset.kind = kind;
  keepOnNextRoute = keep;
}

export function clearMessage() {
  const el = messageEl();
  el.textContent = '';
  delete el.dataset.kind;
}

/** Called by the router on every route change. */
export function routeChanged() {
  if (keepOnNextRoute) keepOnNextRoute = false;
  else clearMessage();
}

/** Shows an error's message, ignoring aborts and 401s the session handler already reported. */
export function showError(err) {
  if (!err || err.name === 'AbortError' || err.handled) return;
  if (err.name === 'ApiError') showMessage(err.message);
  else {
    console.error(err);
    showMessage('Something went wrong in the page; please reload it.');
  }
}

// --- The confirmation dialog (#confirm-dialog) ---

let dialogWired = false;

/**
 * Opens #confirm-dialog with these words; resolves true for its "yes" button, false for "no" or
 * Escape. Focus starts on "no" (the safe choice).
 */
export function confirmDialog({ heading = 'Delete this video?', text = '', yes = 'Delete', no = 'Keep it' } = {}) {
  const dialog = document.getElementById('confirm-dialog');
  if (!dialogWired) {
    dialogWired = true;
    $('#confirm-yes').addEventListener('click', () => dialog.close('yes'));
    $('#confirm-no').addEventListener('click', () => dialog.close('no'));
  }
  return new Promise((resolve) => {
    $('#confirm-heading').textContent = heading;
    $('#confirm-text').textContent = text;
    $('#confirm-yes').textContent = yes;
    $('#confirm-no').textContent = no;
    dialog.returnValue = '';
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'yes'), { once: true });
    dialog.showModal();
    $('#confirm-no').focus();
  });
}

/** Closes #confirm-dialog (as "no") when a view it belongs to is left. */
export function closeConfirmDialog() {
  const dialog = document.getElementById('confirm-dialog');
  if (dialog.open) dialog.close('no');
}

// --- Formatting ---

export function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) { value /= 1000; unit += 1; }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** Bytes per second: "12.3 MB/s". */
export function formatRate(bytesPerSecond) {
  return Number.isFinite(bytesPerSecond) && bytesPerSecond >= 0 ? `${formatBytes(bytesPerSecond)}/s` : '—';
}

/** 83.4 → "1:23", 3723 → "1:02:03". */
export function formatClock(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const total = Math.floor(seconds);
  const hh = Math.floor(total / 3600);
  const mm = Math.floor((total % 3600) / 60);
  const ss = String(total % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/** An ETA in words: "45 s", "3 min 05 s", "1 h 02 min". */
export function formatEta(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export function formatDate(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : dateFormat.format(d);
}

/** 1 → "1st", 2 → "2nd", 11 → "11th", 23 → "23rd". */
export function ordinal(n) {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${{ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] || 'th'}`;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Why a video has no captions, in words, from its caption state. */
export function captionStateText(state, reason) {
  switch (state) {
    case 'none': return reason || 'no speech track';
    case 'pending': return 'subtitles are being made';
    case 'failed': return reason ? `no subtitles: ${reason}` : 'no subtitles: transcription failed';
    case 'ready': return 'subtitles';
    default: return '';
  }
}

/** Which language the subtitles are in and how it was found, e.g.
 *  "Spanish (detected, 96 % sure; Whisper base), with an English translation". */
export function captionLanguageText(video) {
  if (!video || video.captionState !== 'ready' || !video.captionLanguage) return '';
  let name = video.captionLanguage;
  try { name = new Intl.DisplayNames(['en'], { type: 'language' }).of(video.captionLanguage) || name; } catch { /* the code */ }
  const how = [];
  if (typeof video.captionLanguageProbability === 'number') how.push(`detected, ${Math.round(video.captionLanguageProbability * 100)} % sure`);
  else how.push('as the uploader said');
  if (video.captionModel) how.push(`Whisper ${video.captionModel}`);
  return `${name} (${how.join('; ')})${video.captionTranslated ? ', with an English translation' : ''}`;
}
