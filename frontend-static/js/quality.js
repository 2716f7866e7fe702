// The quality menu of the ready player: "Auto" first (the HLS master with every rung; the browser
// picks the rung as it plays) when the browser plays HLS in a plain <video> (Safari, Chromium's
// built-in HLS player), then each MP4 rendition, best first. Without HLS it is the renditions only.

import { h } from './ui.js';

/** The menu value of Auto. */
export const AUTO = 'auto';

const HLS_TYPE = 'application/vnd.apple.mpegurl';

/** Whether `video` plays an HLS URL itself (canPlayType answers "maybe" or "probably"). */
export const playsHls = (video) => Boolean(video.canPlayType(HLS_TYPE));

/**
 * Fills `select` from a playback response: Auto when it has an HLS master (`playback.hls`) this
 * browser plays, then the renditions. The choice already made stays selected while it is still
 * offered (a reload of the same video); otherwise the first entry is: Auto, or the best rendition.
 */
export function fillQuality(select, playback, video) {
  const previous = select.value;
  const options = playback.renditions.map((r) => h('option', {
    value: r.quality,
    text: r.width && r.height ? `${r.quality} (${r.width}×${r.height})` : r.quality,
  }));
  if (playback.hls && playsHls(video)) options.unshift(h('option', { value: AUTO, text: 'Auto' }));
  select.replaceChildren(...options);
  if (previous && options.some((option) => option.value === previous)) select.value = previous;
  select.disabled = options.length < 2;
}

/**
 * The URL to play for a menu value: the HLS master for Auto, else that rendition's MP4 (the best
 * one when it is not offered, or when Auto is asked for without a master).
 */
export function sourceFor(playback, value) {
  if (value === AUTO && playback.hls) return playback.hls;
  const rendition = playback.renditions.find((r) => r.quality === value) || playback.renditions[0];
  return rendition.url;
}
