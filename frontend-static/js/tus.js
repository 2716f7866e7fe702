// A small tus 1.0 client (core + creation + termination) for large files.
//
// - Creation: POST /api/uploads with Upload-Length and Upload-Metadata (filename, title).
// - The upload URL (Location) is remembered in sessionStorage under the user and the file's
//   name, size and lastModified; a later attempt HEADs it for Upload-Offset and goes on from there.
// - Or the caller names the upload to go on with (`url`: one of GET /api/uploads, the user's
//   unfinished uploads, after a reload or on another device): HEAD it, check its Upload-Length
//   against the file, PATCH from its offset.
// - Bytes go in 5 MiB PATCH requests sent with XHR so the browser reports upload progress.
// - A dropped connection or a 409 offset mismatch: HEAD for the stored offset and retry (with
//   backoff, a few times). 404/410 (expired or gone): start a fresh upload once.
// - cancel(): abort the PATCH in flight and DELETE the upload (termination).

import { apiFetch, xhrRequest, errorFromBody, errorFromResponse, ApiError } from './api.js';
import { sleep } from './ui.js';

export const CHUNK_SIZE = 5 * 1024 * 1024;
const TUS_HEADERS = { 'Tus-Resumable': '1.0.0' };
const MAX_RETRIES = 5;

/** base64 of the UTF-8 bytes, as Upload-Metadata wants. */
function b64(text) {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

const abortError = () => new DOMException('Aborted', 'AbortError');

/** Upload-Metadata (`key base64,key base64`) as an object of strings; bad pairs are skipped. */
function parseMetadata(header) {
  const values = {};
  for (const pair of (header || '').split(',')) {
    const [key, value = ''] = pair.trim().split(' ');
    if (!key) continue;
    try {
      values[key] = new TextDecoder().decode(Uint8Array.from(atob(value), (c) => c.charCodeAt(0)));
    } catch { /* not base64: skipped */ }
  }
  return values;
}

/** Hex SHA-256 over the file's size and its first and last MiB: what tells this file from another
 *  of the same name and size before bytes are added to an unfinished upload. `null` where the
 *  browser has no Web Crypto (a page not served over HTTPS or from localhost). */
export async function fingerprint(file) {
  if (!globalThis.crypto?.subtle) return null;
  const part = 1024 * 1024;
  const pieces = [new TextEncoder().encode(String(file.size)),
    new Uint8Array(await file.slice(0, part).arrayBuffer()),
    new Uint8Array(await file.slice(Math.max(part, file.size - part)).arrayBuffer())];
  const joined = new Uint8Array(pieces.reduce((n, piece) => n + piece.length, 0));
  let at = 0;
  for (const piece of pieces) { joined.set(piece, at); at += piece.length; }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', joined));
  return [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

export class TusUpload {
  /** onProgress(sentBytes, totalBytes); userId scopes the remembered URL to the account; `url`
   *  is an unfinished upload of this file to resume (its tus URL on this origin). */
  constructor(file, { title, language, userId, url = null, onProgress = () => {} }) {
    this.file = file;
    this.title = title;
    this.language = language;
    this.onProgress = onProgress;
    this.key = `clipcut.tus:${userId || ''}:${file.name}:${file.size}:${file.lastModified}`;
    this.url = null;
    this.known = url;
    this.videoId = null;
    this.controller = new AbortController();
    this.resumedFrom = 0;
  }

  remember() { sessionStorage.setItem(this.key, JSON.stringify({ url: this.url, videoId: this.videoId })); }
  forget() { sessionStorage.removeItem(this.key); }

  /** Uploads the file; resolves the new video's id. */
  async start() {
    const size = this.file.size;
    let offset = await this.resume();
    if (offset === null) offset = await this.create();
    this.resumedFrom = offset;
    this.onProgress(offset, size);
    let retries = 0;
    let recreated = false;
    while (offset < size) {
      this.checkCancelled();
      try {
        offset = await this.patch(offset, Math.min(offset + CHUNK_SIZE, size));
        retries = 0;
      } catch (err) {
        if (err.name === 'AbortError' || err.handled) throw err;
        if ((err.status === 404 || err.status === 410) && !recreated) {
          recreated = true; // expired or swept: begin again with a new upload
          this.forget();
          offset = await this.create();
          continue;
        }
        const transient = err.status === 0 || err.status === 409 || err.status >= 500;
        if (!transient || retries >= MAX_RETRIES) {
          if (err.status === 413 || err.status === 415 || err.status === 404 || err.status === 410) this.forget();
          throw err;
        }
        retries += 1;
        await sleep(Math.min(1000 * 2 ** (retries - 1), 10000));
        this.checkCancelled();
        const head = await this.head();
        if (!head) throw new ApiError(410, 'gone', 'The upload is no longer on the server; please start it again.');
        offset = head.offset;
        if (head.videoId) this.videoId = head.videoId;
      }
      this.onProgress(offset, size);
    }
    this.forget();
    return this.videoId;
  }

  checkCancelled() { if (this.controller.signal.aborted) throw abortError(); }

  /** The stored offset of the named or remembered upload, or null when there is none to resume. */
  async resume() {
    let stored = null;
    try { stored = JSON.parse(sessionStorage.getItem(this.key) || 'null'); } catch { /* ignore */ }
    if (this.known) stored = { url: this.known, videoId: null };
    if (!stored || !stored.url) return null;
    this.url = stored.url;
    const head = await this.head();
    // Another file of the same name and size must not be appended to this upload's bytes: its
    // fingerprint (kept in the upload's metadata when it was created) must match.
    const mismatch = head?.fingerprint && head.fingerprint !== await this.fingerprint();
    if (!head || head.length !== this.file.size || mismatch) {
      this.forget();
      this.url = null;
      return null;
    }
    this.videoId = head.videoId || stored.videoId;
    if (this.known) this.remember(); // a reload in this tab finds it too
    return head.offset;
  }

  /** HEAD: { offset, length, videoId }, or null for 404/410. */
  async head() {
    const res = await apiFetch(this.url, { method: 'HEAD', headers: TUS_HEADERS, signal: this.controller.signal });
    if (res.status === 404 || res.status === 410) return null;
    if (!res.ok) throw errorFromBody(res.status, ''); // HEAD errors carry no body
    return {
      offset: Number(res.headers.get('Upload-Offset')),
      length: Number(res.headers.get('Upload-Length')),
      videoId: res.headers.get('X-Video-Id'),
      fingerprint: parseMetadata(res.headers.get('Upload-Metadata')).fingerprint || null,
    };
  }

  /** This file's fingerprint, computed once. */
  async fingerprint() {
    if (this.print === undefined) this.print = await fingerprint(this.file);
    return this.print;
  }

  /** POST /api/uploads; returns offset 0. */
  async create() {
    const metadata = [`filename ${b64(this.file.name)}`];
    if (this.title) metadata.push(`title ${b64(this.title)}`);
    if (this.language && this.language !== 'detect') metadata.push(`language ${b64(this.language)}`);
    const print = await this.fingerprint();
    if (print) metadata.push(`fingerprint ${b64(print)}`);
    const res = await apiFetch('/api/uploads', {
      method: 'POST',
      headers: { ...TUS_HEADERS, 'Upload-Length': String(this.file.size), 'Upload-Metadata': metadata.join(',') },
      signal: this.controller.signal,
    });
    if (res.status !== 201) throw await errorFromResponse(res);
    // Keep only the path: the API is on this origin.
    this.url = new URL(res.headers.get('Location'), location.href).pathname;
    this.videoId = res.headers.get('X-Video-Id');
    this.remember();
    if (this.controller.signal.aborted) { await this.terminate(); throw abortError(); }
    return 0;
  }

  /** PATCH bytes [from, to); returns the new offset. */
  async patch(from, to) {
    const res = await xhrRequest({
      method: 'PATCH',
      url: this.url,
      headers: { ...TUS_HEADERS, 'Upload-Offset': String(from), 'Content-Type': 'application/offset+octet-stream' },
      body: this.file.slice(from, to),
      onProgress: (loaded) => this.onProgress(from + Math.min(loaded, to - from), this.file.size),
      signal: this.controller.signal,
    });
    if (res.status !== 204) throw errorFromBody(res.status, res.text);
    const videoId = res.header('X-Video-Id');
    if (videoId) this.videoId = videoId;
    const offset = Number(res.header('Upload-Offset'));
    if (offset > this.file.size) {
      this.forget();
      throw new ApiError(422, 'bad_offset', 'The server stored more bytes than the file has; please upload it again.');
    }
    return Number.isFinite(offset) && offset > from ? offset : to;
  }

  /** Stops the transfer but keeps the upload (and its remembered URL) for a later resume. */
  abort() { this.controller.abort(); }

  /** Aborts the transfer and deletes the upload on the server. */
  async cancel() {
    this.controller.abort();
    this.forget();
    await this.terminate();
  }

  async terminate() {
    if (!this.url) return;
    await terminate(this.url);
  }
}

/** Forgets every remembered upload with this URL (it was discarded or finished elsewhere). */
export function forgetUpload(url) {
  for (let i = sessionStorage.length - 1; i >= 0; i -= 1) {
    const key = sessionStorage.key(i);
    if (!key || !key.startsWith('clipcut.tus:')) continue;
    try {
      if (JSON.parse(sessionStorage.getItem(key) || 'null')?.url === url) sessionStorage.removeItem(key);
    } catch { /* not ours */ }
  }
}

/**
 * DELETE (tus termination) of the upload at `url`. Resolves true when it is gone (204, or 404/410:
 * already gone); throws ApiError otherwise.
 */
export async function discardUpload(url) {
  const res = await terminate(url, { strict: true });
  forgetUpload(url);
  return res;
}

async function terminate(url, { strict = false } = {}) {
  // 409 = a PATCH is still being written server-side; give it a moment.
  for (let attempt = 0; attempt < 4; attempt += 1) {
    let res;
    try {
      res = await apiFetch(url, { method: 'DELETE', headers: TUS_HEADERS });
    } catch (err) {
      if (strict) throw err;
      return false;
    }
    if (res.status !== 409) {
      if (res.ok || res.status === 404 || res.status === 410) return true;
      if (strict) throw await errorFromResponse(res);
      return false;
    }
    await sleep(500 * (attempt + 1));
  }
  if (strict) throw new ApiError(409, 'busy', 'The upload is still receiving bytes; try again in a moment.');
  return false;
}
