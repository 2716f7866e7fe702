// Live playback of a video that is still being encoded: a small Media Source Extensions loader
// for OUR HLS only (see docs/upload-service.md). The master lists the rungs published so far; one
// variant is chosen and played from its start. Its playlist is an EVENT playlist that only grows
// (fMP4: an #EXT-X-MAP init segment, then moof/mdat segments with muxed H.264 + AAC whose
// timestamps run on from 0), so one SourceBuffer takes the init segment and then every segment in
// order. The playlist is fetched again every POLL_MS until #EXT-X-ENDLIST; at the live edge the
// <video> simply waits (buffer underrun) until the next segment is appended.
// Not a general HLS player: no rendition switching, no discontinuities, no encryption.

import { sleep } from './ui.js';

const POLL_MS = 2000;      // how often a growing variant playlist is fetched again
const MAX_RETRY_MS = 8000; // a failed fetch is retried after 0.5 s, doubling up to this
const BACK_BUFFER = 10;    // seconds kept behind currentTime when the browser's buffer is full
const MAX_GAP = 0.5;       // holes this small in the buffered ranges are jumped over

class HttpError extends Error {
  constructor(status, url) {
    super(`HTTP ${status} for ${new URL(url).pathname}`);
    this.status = status;
  }
}

/** A failure retrying cannot fix (codecs the browser cannot play, a segment it cannot decode). */
function fatal(message) {
  const err = new Error(message);
  err.fatal = true;
  return err;
}

/** The attributes of a tag: `BANDWIDTH=1,CODECS="a,b"` → { BANDWIDTH: '1', CODECS: 'a,b' }. */
function attributes(text) {
  const out = {};
  for (const m of text.matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)) out[m[1]] = m[2].replace(/^"|"$/g, '');
  return out;
}

function playlistLines(text) {
  if (!text.startsWith('#EXTM3U')) throw new Error('not an HLS playlist');
  return text.split(/\r\n|\r|\n/).map((line) => line.trim()).filter(Boolean);
}

/** The variants of a master playlist, with absolute URLs (the #EXT-X-MEDIA lines are ignored). */
export function parseMaster(text, baseUrl) {
  const variants = [];
  let pending = null;
  for (const line of playlistLines(text)) {
    if (line.startsWith('#EXT-X-STREAM-INF:')) {
      const a = attributes(line.slice(18));
      const [width, height] = (a.RESOLUTION || '').split('x').map(Number);
      pending = { bandwidth: Number(a.BANDWIDTH) || 0, width: width || 0, height: height || 0, codecs: a.CODECS || '' };
    } else if (!line.startsWith('#') && pending) {
      variants.push({ ...pending, url: new URL(line, baseUrl).href });
      pending = null;
    }
  }
  return variants;
}

/** A media playlist: its init segment, its segments (numbered by media sequence), whether it ended. */
export function parseVariant(text, baseUrl) {
  const playlist = { init: null, segments: [], ended: false };
  let sequence = 0;
  let duration = 0;
  for (const line of playlistLines(text)) {
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) sequence = parseInt(line.slice(22), 10) || 0;
    else if (line.startsWith('#EXT-X-MAP:')) playlist.init = new URL(attributes(line.slice(11)).URI, baseUrl).href;
    else if (line.startsWith('#EXTINF:')) duration = parseFloat(line.slice(8)) || 0;
    else if (line === '#EXT-X-ENDLIST') playlist.ended = true;
    else if (!line.startsWith('#')) {
      playlist.segments.push({ sequence, duration, url: new URL(line, baseUrl).href });
      sequence += 1;
      duration = 0;
    }
  }
  return playlist;
}

const mimeType = (variant) => `video/mp4; codecs="${variant.codecs}"`;

/** The smallest rung at least as tall as the player on screen (else the tallest) this browser plays. */
function chooseVariant(variants, video) {
  const playable = variants.filter((v) => v.codecs && MediaSource.isTypeSupported(mimeType(v)));
  if (variants.length && !playable.length) throw fatal(`This browser cannot play ${variants[0].codecs}.`);
  const wanted = (video.clientHeight || 360) * (window.devicePixelRatio || 1);
  playable.sort((a, b) => a.height - b.height || a.bandwidth - b.bandwidth);
  return playable.find((v) => v.height >= wanted) || playable[playable.length - 1] || null;
}

/** Runs one SourceBuffer operation (append or remove) to its end. */
function update(buffer, start) {
  return new Promise((resolve, reject) => {
    let failed = false;
    const onError = () => { failed = true; };
    const onEnd = () => {
      buffer.removeEventListener('error', onError);
      if (failed) reject(fatal('The browser could not decode the stream.'));
      else resolve();
    };
    buffer.addEventListener('error', onError, { once: true });
    buffer.addEventListener('updateend', onEnd, { once: true });
    try {
      start();
    } catch (err) {
      buffer.removeEventListener('error', onError);
      buffer.removeEventListener('updateend', onEnd);
      reject(err);
    }
  });
}

/**
 * Plays the live HLS of `masterUrl` in `video` (it takes over its src). options: durationSeconds
 * (the whole video's length, so the seek bar shows it all), refresh() → a new master URL when the
 * token in the URLs has expired, onError(err) when playback cannot go on. Returns { stop() }; the
 * caller then points the <video> elsewhere (or empties it).
 */
export function startLive(video, { masterUrl, durationSeconds = null, refresh = null, onError = null } = {}) {
  const mediaSource = new MediaSource();
  const controller = new AbortController();
  const objectUrl = URL.createObjectURL(mediaSource);
  let stopped = false;
  let buffer = null;

  const get = async (url, text) => {
    // Playlists grow: never from a cache. Segments never change.
    const res = await fetch(url, { signal: controller.signal, credentials: 'same-origin', cache: text ? 'no-store' : 'default' });
    if (!res.ok) throw new HttpError(res.status, url);
    return text ? res.text() : res.arrayBuffer();
  };

  /** Jumps a small hole ahead of the playhead (the first frame may start a little after 0). */
  const skipGap = () => {
    const t = video.currentTime;
    const ranges = video.buffered;
    for (let i = 0; i < ranges.length; i += 1) {
      if (ranges.start(i) <= t && t < ranges.end(i)) return;
      if (ranges.start(i) > t && ranges.start(i) - t <= MAX_GAP) {
        video.currentTime = ranges.start(i) + 0.001;
        return;
      }
    }
  };

  const append = async (data) => {
    for (;;) {
      try {
        await update(buffer, () => buffer.appendBuffer(data));
        return;
      } catch (err) {
        if (err.name !== 'QuotaExceededError' || stopped) throw err;
        // Full: drop what was already played, or wait for playback to move on.
        const start = buffer.buffered.length ? buffer.buffered.start(0) : 0;
        const played = video.currentTime - BACK_BUFFER;
        if (played > start + 1) await update(buffer, () => buffer.remove(0, played));
        else await sleep(1000);
        if (stopped) throw err;
      }
    }
  };

  async function run() {
    await new Promise((resolve) => mediaSource.addEventListener('sourceopen', resolve, { once: true }));
    URL.revokeObjectURL(objectUrl);
    let master = masterUrl;
    let variant = null;
    let stale = false; // the URLs' token expired: read the (refreshed) master again
    let initDone = false;
    let next = 0;      // the media sequence number of the next segment to append
    let failures = 0;
    while (!stopped) {
      try {
        if (!variant || stale) {
          const masterHref = new URL(master, window.location.href).href;
          const variants = parseMaster(await get(masterHref, true), masterHref);
          if (variant) {
            const path = new URL(variant.url).pathname;
            variant = variants.find((v) => new URL(v.url).pathname === path) || variant;
          } else {
            variant = chooseVariant(variants, video);
            if (!variant) throw new Error('no variant published yet');
            try {
              buffer = mediaSource.addSourceBuffer(mimeType(variant));
            } catch (err) {
              throw fatal(`This browser cannot play ${variant.codecs}: ${err.message}`);
            }
            if (durationSeconds > 0) mediaSource.duration = durationSeconds;
          }
          stale = false;
        }
        const playlist = parseVariant(await get(variant.url, true), variant.url);
        // The next segment is fetched while the one before is appended (the init segment and
        // the first one together): every round trip saved is time to the first frame.
        const todo = playlist.segments.filter((segment) => segment.sequence >= next);
        const fetchSegment = (index) => {
          if (index >= todo.length) return null;
          const pending = get(todo[index].url, false);
          pending.catch(() => {}); // awaited below; a failure is handled there
          return pending;
        };
        let fetching = fetchSegment(0);
        if (!initDone) {
          if (!playlist.init) throw new Error('no #EXT-X-MAP yet');
          await append(await get(playlist.init, false));
          initDone = true;
        }
        for (let index = 0; index < todo.length; index += 1) {
          const data = await fetching;
          fetching = fetchSegment(index + 1);
          if (stopped) return;
          await append(data);
          next = todo[index].sequence + 1;
          skipGap();
        }
        failures = 0;
        if (playlist.ended) {
          if (mediaSource.readyState === 'open') mediaSource.endOfStream();
          return;
        }
      } catch (err) {
        if (stopped || err.name === 'AbortError') return;
        if (err.fatal || video.error || mediaSource.readyState === 'closed') throw err;
        failures += 1;
        if ((err.status === 401 || err.status === 403) && refresh) {
          try {
            master = (await refresh()) || master;
            stale = true;
          } catch { /* try again later */ }
        }
      }
      await sleep(failures ? Math.min(500 * 2 ** (failures - 1), MAX_RETRY_MS) : POLL_MS);
    }
  }

  video.addEventListener('waiting', skipGap);
  video.src = objectUrl;
  run().catch((err) => {
    if (stopped) return;
    video.removeEventListener('waiting', skipGap);
    if (onError) onError(err);
    else console.error(err);
  });

  return {
    stop() {
      stopped = true;
      controller.abort();
      video.removeEventListener('waiting', skipGap);
      URL.revokeObjectURL(objectUrl);
    },
  };
}
