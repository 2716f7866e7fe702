// The REST API client: the session token, fetch and XHR wrappers, and error handling.
// Every API error body is {"error":{"code","message"}}; anything else (a proxy's HTML page,
// a dropped connection) is turned into an ApiError with a readable message too.

const TOKEN_KEY = 'clipcut.token';
const USER_KEY = 'clipcut.user';

export const NETWORK_MESSAGE = 'Cannot reach the server.';
export const EXPIRED_MESSAGE = 'Your session has expired; please log in again.';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status; // 0 for network failures
    this.code = code;
    this.handled = false; // true when the global 401 handler already reacted
  }
}

// --- Session: kept in memory and in sessionStorage (never localStorage, never a URL). ---

let token = sessionStorage.getItem(TOKEN_KEY);
let user = readUser();

function readUser() {
  try { return JSON.parse(sessionStorage.getItem(USER_KEY) || 'null'); } catch { return null; }
}

// A query string with every value percent-encoded (a space as %20, not URLSearchParams' `+`,
// which a server reading the query literally would keep); empty values are left out.
export function queryString(params) {
  return Object.entries(params)
    .filter(([, value]) => value !== undefined && value !== null && value !== '')
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
    .join('&');
}

export function isLoggedIn() { return Boolean(token); }
export function currentUser() { return user; }

export function setSession(newToken, newUser) {
  token = newToken;
  user = newUser;
  sessionStorage.setItem(TOKEN_KEY, newToken);
  sessionStorage.setItem(USER_KEY, JSON.stringify(newUser));
}

export function setUser(newUser) {
  user = newUser;
  sessionStorage.setItem(USER_KEY, JSON.stringify(newUser));
}

export function clearSession() {
  token = null;
  user = null;
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
}

let unauthorizedHandler = () => {};
/** Registers what happens when a request that carried our token gets a 401. */
export function onUnauthorized(fn) { unauthorizedHandler = fn; }

function expired() {
  const err = new ApiError(401, 'unauthorized', EXPIRED_MESSAGE);
  err.handled = true;
  if (token) unauthorizedHandler();
  return err;
}

// --- Errors ---

function fallbackMessage(status) {
  if (status === 413) return 'The file is too large.';
  if (status === 415) return 'This file type is not supported.';
  if (status === 404) return 'Not found.';
  if (status === 429) return 'Too many attempts; please wait a moment and try again.';
  if (status === 502 || status === 503 || status === 504) return 'The service is unavailable right now; please try again shortly.';
  return `Something went wrong (HTTP ${status}).`;
}

/** Builds an ApiError from a status and a response body (JSON or not). */
export function errorFromBody(status, text) {
  try {
    const body = JSON.parse(text);
    if (body && body.error && typeof body.error.message === 'string') {
      return new ApiError(status, body.error.code || 'error', body.error.message);
    }
  } catch { /* not JSON */ }
  return new ApiError(status, `http_${status}`, fallbackMessage(status));
}

export async function errorFromResponse(res) {
  let text = '';
  try { text = await res.text(); } catch { /* body unreadable */ }
  return errorFromBody(res.status, text);
}

// --- fetch ---

/**
 * fetch() with the bearer token. Returns the Response whatever its status, except a 401 to an
 * authenticated request (session expired: the global handler runs, a handled error is thrown).
 * Network failures throw ApiError(0, 'network'). `cache` is fetch's cache mode: 'no-store' unless
 * the caller wants the browser's HTTP cache (a poster revalidated with its ETag).
 */
export async function apiFetch(path, { auth = true, headers = {}, cache = 'no-store', ...init } = {}) {
  const h = new Headers(headers);
  const sent = auth && token;
  if (sent) h.set('Authorization', `Bearer ${token}`);
  let res;
  try {
    res = await fetch(path, { ...init, headers: h, credentials: 'same-origin', cache });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', NETWORK_MESSAGE);
  }
  if (res.status === 401 && sent) throw expired();
  return res;
}

/** A JSON API call: throws ApiError unless 2xx; returns the parsed body (or null for 204). */
export async function api(path, { method = 'GET', json, headers = {}, ...rest } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers }, ...rest };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['Content-Type'] = 'application/json';
  }
  const res = await apiFetch(path, init);
  if (!res.ok) throw await errorFromResponse(res);
  if (res.status === 204 || method === 'HEAD') return null;
  const type = res.headers.get('Content-Type') || '';
  return type.includes('json') ? res.json() : res.text();
}

// --- XMLHttpRequest (fetch has no upload progress) ---

/**
 * Sends one request with XHR. Resolves { status, header(name), text } for any HTTP status except
 * a 401 with our token; rejects ApiError(0) on network failure and an AbortError when aborted.
 */
export function xhrRequest({ method, url, headers = {}, body = null, onProgress, signal }) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    const sent = Boolean(token);
    if (sent) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    if (onProgress) {
      xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) onProgress(e.loaded, e.total); });
    }
    const abort = () => xhr.abort();
    if (signal) {
      if (signal.aborted) { reject(new DOMException('Aborted', 'AbortError')); return; }
      signal.addEventListener('abort', abort, { once: true });
    }
    const cleanup = () => signal && signal.removeEventListener('abort', abort);
    xhr.addEventListener('load', () => {
      cleanup();
      if (xhr.status === 401 && sent) { reject(expired()); return; }
      resolve({ status: xhr.status, header: (name) => xhr.getResponseHeader(name), text: xhr.responseText });
    });
    xhr.addEventListener('error', () => { cleanup(); reject(new ApiError(0, 'network', NETWORK_MESSAGE)); });
    xhr.addEventListener('abort', () => { cleanup(); reject(new DOMException('Aborted', 'AbortError')); });
    xhr.send(body);
  });
}
