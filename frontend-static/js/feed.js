// Server-Sent Events over fetch (EventSource cannot send the Authorization header).
//
// The response body is read as a stream, decoded as UTF-8 and cut into frames at blank lines;
// each frame's `event:`, `data:` (joined with "\n") and `id:` fields are collected and `:`
// comment lines (heartbeats) only mark the connection alive. The last `id:` seen is sent back as
// Last-Event-ID when the connection drops and is reopened, so the server replays only what was
// missed. The stream ends for good after `event: done` or close().

import { apiFetch, errorFromResponse } from './api.js';
import { sleep } from './ui.js';

const STALL_MS = 45000; // the server sends a heartbeat every 15 s

/** Yields { event, data, id } frames from a ReadableStream of bytes. */
async function* readFrames(body, onActivity) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let frame = { event: 'message', data: [], id: null };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      onActivity();
      buffer += decoder.decode(value, { stream: true });
      // Split into complete lines (\n, \r\n or \r); a trailing \r may be half of a \r\n.
      const held = buffer.endsWith('\r') ? '\r' : '';
      const lines = (held ? buffer.slice(0, -1) : buffer).split(/\r\n|\r|\n/);
      buffer = lines.pop() + held;
      for (const line of lines) {
        if (line === '') {
          if (frame.data.length > 0) yield { event: frame.event, data: frame.data.join('\n'), id: frame.id };
          frame = { event: 'message', data: [], id: null };
          continue;
        }
        if (line.startsWith(':')) continue; // comment (heartbeat)
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') frame.event = value;
        else if (field === 'data') frame.data.push(value);
        else if (field === 'id' && !value.includes('\0')) frame.id = value;
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * Opens the progress feed of a video. handlers: progress(msg, id), queue(q), done(d),
 * connection(state: 'open'|'reconnecting'), error(ApiError) for a final failure.
 * Returns { close() }.
 */
export function openFeed(videoId, handlers) {
  let closed = false;
  let controller = null;
  let lastEventId = null;
  const call = (name, ...args) => handlers[name] && handlers[name](...args);

  async function run() {
    let failures = 0;
    let notFound = 0;
    while (!closed) {
      controller = new AbortController();
      let stallTimer = null;
      const alive = () => {
        clearTimeout(stallTimer);
        stallTimer = setTimeout(() => controller.abort(), STALL_MS);
      };
      try {
        const headers = { Accept: 'text/event-stream' };
        if (lastEventId) headers['Last-Event-ID'] = lastEventId;
        alive();
        const res = await apiFetch(`/api/videos/${encodeURIComponent(videoId)}/events`, { headers, signal: controller.signal });
        if (!res.ok) {
          const err = await errorFromResponse(res);
          // Right after an upload the history projection can lag: 404 a few times is normal.
          if (res.status === 404 && notFound < 5) { notFound += 1; throw err; }
          if (res.status >= 500) throw err; // restarting behind the proxy: retry
          clearTimeout(stallTimer);
          call('error', err);
          return;
        }
        call('connection', 'open');
        failures = 0;
        for await (const frame of readFrames(res.body, alive)) {
          if (closed) return;
          failures = 0;
          if (frame.id) lastEventId = frame.id;
          let data;
          try { data = JSON.parse(frame.data); } catch { continue; }
          if (frame.event === 'progress') call('progress', data, frame.id);
          else if (frame.event === 'queue') call('queue', data);
          else if (frame.event === 'done') { closed = true; call('done', data); }
        }
      } catch (err) {
        if (err.handled) { closed = true; } // session expired: the app already reacted
      } finally {
        clearTimeout(stallTimer);
        controller.abort();
      }
      if (closed) return;
      // The stream ended without `done` (network drop, server restart, stall): reopen it.
      failures += 1;
      call('connection', 'reconnecting');
      await sleep(Math.min(1000 * 2 ** Math.min(failures - 1, 4), 15000));
    }
  }

  run();
  return {
    close() {
      closed = true;
      if (controller) controller.abort();
    },
  };
}
