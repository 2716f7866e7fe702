// The page's entry point: a hash router over four views, the nav, and the session life cycle.
// Routes: #/login, #/upload, #/watch/<id>[?t=<seconds>], #/history.

import { isLoggedIn, currentUser, onUnauthorized, clearSession, EXPIRED_MESSAGE } from './api.js';
import { initAuth, refreshMe, logout, authView } from './auth.js';
import { initUpload, uploadView, cancelUpload } from './upload.js';
import { initPlayer } from './player.js';
import { initCaptionEditor } from './captions-editor.js';
import { watchView } from './watch.js';
import { initHistory, historyView } from './history.js';
import { initSearch } from './search.js';
import { $, showMessage, routeChanged } from './ui.js';

const views = { login: authView, upload: uploadView, watch: watchView, history: historyView };
let current = null; // { name, key }

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
  if (Object.hasOwn(views, name) && name !== 'watch') return { name, params: {} };
  return null;
}

function updateNav() {
  const nav = $('#nav');
  nav.hidden = !isLoggedIn();
  $('#whoami').textContent = currentUser()?.email || '';
  const active = current?.name;
  for (const [id, name] of [['nav-upload', 'upload'], ['nav-history', 'history']]) {
    const link = document.getElementById(id);
    if (name === active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function route() {
  const target = parse(location.hash);
  // location.replace() fires hashchange, which calls route() again with the new hash.
  if (!isLoggedIn() && target?.name !== 'login') { location.replace('#/login'); return; }
  if (!target) { location.replace(isLoggedIn() ? '#/upload' : '#/login'); return; }
  if (target.name === 'login' && isLoggedIn()) { location.replace('#/upload'); return; }

  routeChanged();
  const key = location.hash;
  if (current && current.key === key) return;
  if (current) views[current.name].leave();
  for (const [name, view] of Object.entries(views)) view.el.hidden = name !== target.name;
  current = { name: target.name, key };
  updateNav();
  // Move focus to the new view's heading, for keyboard and screen-reader users.
  const heading = views[target.name].el.querySelector('h1');
  if (heading && document.activeElement !== document.body) heading.focus({ preventScroll: false });
  views[target.name].enter(target.params);
}

function goToLogin() {
  if (current) { views[current.name].leave(); current = null; }
  if (location.hash === '#/login') route();
  else location.hash = '#/login';
}

function endSession(message) {
  cancelUpload({ terminate: false }); // a tus upload stays resumable after logging in again
  clearSession();
  updateNav();
  if (message) showMessage(message, { keep: true });
  goToLogin();
}

initAuth({ onLoggedIn: () => { updateNav(); location.hash = '#/upload'; } });
initUpload();
initPlayer();
initCaptionEditor();
initHistory();
initSearch();

onUnauthorized(() => endSession(EXPIRED_MESSAGE));
$('#logout').addEventListener('click', () => {
  logout();
  endSession(null);
});

window.addEventListener('hashchange', route);
route();
// A token from sessionStorage may be stale: check it (a 401 ends the session) and refresh #whoami.
if (isLoggedIn()) refreshMe().then(updateNav);
