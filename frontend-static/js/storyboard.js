// Storyboard previews: the WebVTT track maps time ranges to regions of one sprite image
// (cue text `storyboard.jpg?token=…#xywh=x,y,w,h`), shown over the seek bar on hover, while the
// thumb is dragged, and (through showAt) when the keyboard focuses or moves it.

import { formatClock } from './ui.js';

/** "01:02:03.500" or "02:03.500" → seconds. */
function parseTime(text) {
  const parts = text.trim().split(':').map(Number);
  if (parts.some((n) => !Number.isFinite(n))) return NaN;
  return parts.reduce((total, part) => total * 60 + part, 0);
}

/** Parses the storyboard track; sprite URLs are resolved against the track's own URL. */
export function parseStoryboard(vtt, trackUrl) {
  const base = new URL(trackUrl, location.href);
  const cues = [];
  for (const block of vtt.replace(/\r\n?/g, '\n').split(/\n{2,}/)) {
    const lines = block.split('\n').filter((line) => line.trim() !== '');
    const timing = lines.findIndex((line) => line.includes('-->'));
    if (timing === -1 || !lines[timing + 1]) continue;
    const [from, to] = lines[timing].split('-->');
    const match = /^(.*)#xywh=(\d+),(\d+),(\d+),(\d+)\s*$/.exec(lines[timing + 1].trim());
    if (!match) continue;
    cues.push({
      start: parseTime(from),
      end: parseTime(to.trim().split(/\s+/)[0]),
      url: new URL(match[1], base).href,
      x: Number(match[2]), y: Number(match[3]), w: Number(match[4]), h: Number(match[5]),
    });
  }
  return cues.filter((cue) => Number.isFinite(cue.start) && Number.isFinite(cue.end));
}

function cueAt(cues, time) {
  const found = cues.find((cue) => time >= cue.start && time < cue.end);
  if (found) return found;
  const last = cues.at(-1);
  return last && time >= last.end ? last : null; // the very end of the video
}

/**
 * Wires a range input (the seek bar) to a preview box, once. Returns { setCues(cues), clear(),
 * showAt(seconds) (over where the thumb is at that time), hide() }.
 * The box is positioned with inline styles from JS (allowed by the CSP, unlike style attributes).
 */
export function attachPreview({ container, seekBar, preview, timeLabel, getDuration }) {
  let cues = [];

  function show(time, clientX) {
    const duration = getDuration();
    if (!Number.isFinite(duration) || duration <= 0) return;
    const cue = cues.length ? cueAt(cues, time) : null;
    preview.classList.toggle('has-image', Boolean(cue));
    if (cue) {
      preview.style.backgroundImage = `url("${cue.url.replace(/"/g, '%22')}")`;
      preview.style.backgroundPosition = `-${cue.x}px -${cue.y}px`;
      preview.style.width = `${cue.w}px`;
      preview.style.height = `${cue.h}px`;
    } else {
      preview.style.backgroundImage = 'none';
      preview.style.width = '';
      preview.style.height = '';
    }
    timeLabel.textContent = formatClock(time);
    preview.hidden = false;
    // Centre over the pointer (or the thumb), kept inside the container.
    const bar = seekBar.getBoundingClientRect();
    const box = container.getBoundingClientRect();
    const x = clientX ?? bar.left + (time / duration) * bar.width;
    const half = preview.offsetWidth / 2;
    const left = Math.min(Math.max(x - box.left, half), Math.max(box.width - half, half));
    preview.style.left = `${left}px`;
  }

  const hide = () => { preview.hidden = true; };

  const onMove = (event) => {
    const bar = seekBar.getBoundingClientRect();
    const fraction = Math.min(Math.max((event.clientX - bar.left) / bar.width, 0), 1);
    show(fraction * getDuration(), event.clientX);
  };
  const onInput = () => { if (document.activeElement === seekBar) show(Number(seekBar.value)); };

  seekBar.addEventListener('pointermove', onMove);
  seekBar.addEventListener('pointerleave', hide);
  seekBar.addEventListener('input', onInput);
  seekBar.addEventListener('blur', hide);
  seekBar.addEventListener('keydown', (event) => { if (event.key === 'Escape') hide(); });

  return {
    setCues(list) { cues = list; },
    clear() {
      cues = [];
      hide();
    },
    showAt(time) { show(time); },
    hide,
  };
}
