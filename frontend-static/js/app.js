// The page's entry point: a hash router over the views, the nav, and the session life cycle.
// Routes: #/login[?next=<route>], #/upload, #/watch/<id>[?t=<seconds>], #/history,
// #/search?q=<words>, and #/admin for administrators. A route opened while logged out (a link,
// a bookmark, a session that expired) waits in the login route's `next` and opens after login.

import { isLoggedIn, currentUser, onUnauthorized, clearSession, EXPIRED_MESSAGE } from './api.js';
import { initAuth, refreshMe, logout, authView } from './auth.js';
import { initUpload, uploadView, cancelUpload } from './upload.js';
import { initPlayer } from './player.js';
import { initCaptionEditor } from './captions-editor.js';
import { initClipMaker } from './clip-maker.js';
import { watchView } from './watch.js';
import { initDetails } from './video-details.js';
import { initHistory, historyView } from './history.js';
import { initSearch, searchView } from './search.js';
import { initAdmin, adminView } from './admin.js';
import { $, showMessage, routeChanged } from './ui.js';

const views = {
  login: authView, upload: uploadView, watch: watchView, history: historyView, search: searchView, admin: adminView,
};
let current = null; // { name, key }
let firstRoute = true; // the view the page opened with
let plainLogin = false; // logging out: the login view opens nothing afterwards

/** Whether the signed-in user is an administrator (as the page last heard; the server decides). */
const isAdmin = () => currentUser()?.role === 'admin';

/** "#/watch/abc?t=12" → { name: 'watch', params: { id: 'abc', t: 12 } } */
function parse(hash) {
  const raw = hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  const search = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
  let name;
  let id;
  try { [name, id] = path.split('/').filter(Boolean).map(decodeURIComponent); } catch { return null; }
  if (name === 'watch' && id) {
    const t = Number.parseFloat(search.get('t'));
    return { name, params: { id, t: Number.isFinite(t) && t >= 0 ? t : null } };
  }
  if (name === 'admin' && !isAdmin()) return null; // not offered to others: back to the upload view
  if (name === 'login') return { name, params: { next: wanted(search.get('next')) } };
  if (name === 'search') return { name, params: { q: search.get('q') || '' } };
  if (Object.hasOwn(views, name) && name !== 'watch') return { name, params: {} };
  return null;
}

/** `hash` when it names a view to open after login (any but the login itself), else null. */
function wanted(hash) {
  if (typeof hash !== 'string' || !hash.startsWith('#/')) return null;
  const name = hash.slice(2).split(/[/?]/, 1)[0];
  return name !== 'login' && Object.hasOwn(views, name) ? hash : null;
}

/** The login route that opens `next` afterwards (when it is a route). */
function loginRoute(next) {
  const then = wanted(next);
  return then ? `#/login?next=${encodeURIComponent(then)}` : '#/login';
}

/** Where to go once logged in: the route that waited in #/login?next=…, else the upload view. */
function afterLogin() {
  const target = parse(location.hash);
  return (target?.name === 'login' && target.params.next) || '#/upload';
}

function updateNav() {
  const nav = $('#nav');
  nav.hidden = !isLoggedIn();
  if (!isLoggedIn()) $('#header-search-q').value = ''; // the next account starts with an empty box
  $('#whoami').textContent = currentUser()?.email || '';
  $('#nav-admin-item').hidden = !isAdmin();
  const active = current?.name;
  for (const [id, name] of [['nav-upload', 'upload'], ['nav-history', 'history'], ['nav-admin', 'admin']]) {
    const link = document.getElementById(id);
    if (name === active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function route(event) {
  const target = parse(location.hash);
  // location.replace() fires hashchange, which calls route() again with the new hash.
  // The watch view opens without a session too: an unlisted video plays for anyone with its link.
  if (!isLoggedIn() && target?.name !== 'login' && target?.name !== 'watch') { location.replace(loginRoute(location.hash)); return; }
  if (!target) { location.replace(isLoggedIn() ? '#/upload' : '#/login'); return; }
  if (target.name === 'login' && isLoggedIn()) { location.replace(target.params.next || '#/upload'); return; }
  // A plain "Log in" link (e.g. on a video a visitor may not see) comes back to where it was.
  if (target.name === 'login' && !target.params.next && event?.oldURL && !plainLogin) {
    const before = new URL(event.oldURL).hash;
    if (wanted(before)) { location.replace(loginRoute(before)); return; }
  }
  plainLogin = false;

  routeChanged();
  const key = location.hash;
  if (current && current.key === key) return;
  if (current) views[current.name].leave();
  for (const [name, view] of Object.entries(views)) view.el.hidden = name !== target.name;
  current = { name: target.name, key };
  updateNav();
  // Move focus to the new view's heading, for keyboard and screen-reader users: on every
  // navigation but the page's first view (then the browser's own start stays). The control that
  // led here is usually hidden by now, so focus would otherwise fall back to the body.
  const heading = views[target.name].el.querySelector('h1');
  if (heading && !firstRoute) heading.focus({ preventScroll: false });
  firstRoute = false;
  views[target.name].enter(target.params);
}

/** Shows the login view; `next` (a route) opens after logging in again. */
function goToLogin(next = null) {
  if (current) { views[current.name].leave(); current = null; }
  const target = loginRoute(next);
  plainLogin = target === '#/login';
  if (location.hash === target) route();
  else location.hash = target;
}

function endSession(message) {
  cancelUpload({ terminate: false }); // a tus upload stays resumable after logging in again
  clearSession();
  updateNav();
  if (message) showMessage(message, { keep: true });
  // An expired session comes back to the same view after logging in; logging out does not.
  goToLogin(message ? location.hash : null);
}

initAuth({ onLoggedIn: () => { updateNav(); location.hash = afterLogin(); } });
initUpload();
initPlayer();
initCaptionEditor();
initClipMaker();
initDetails();
initHistory();
initSearch();
initAdmin();

onUnauthorized(() => endSession(EXPIRED_MESSAGE));
$('#logout').addEventListener('click', () => {
  logout();
  endSession(null);
});

window.addEventListener('hashchange', route);
route();
// A token from sessionStorage may be stale: check it (a 401 ends the session) and refresh #whoami.
// The role may have changed too: a user no longer an administrator leaves the admin view.
if (isLoggedIn()) {
  refreshMe().then(() => {
    updateNav();
    if (current?.name === 'admin' && !isAdmin()) location.replace('#/upload');
  });
}
