// Register, log in, log out. Validation rules are the server's (its messages are shown as-is);
// the page only checks that fields are filled.

import { api, setSession, setUser, clearSession, isLoggedIn } from './api.js';
import { $, showMessage, showError, clearMessage } from './ui.js';

export const authView = {
  el: document.getElementById('view-auth'),
  /** `next`: the route opened while logged out, which comes up after logging in. */
  enter({ next = null } = {}) { $('#login-next').hidden = !next; },
  leave() {},
};

/** Logs in and stores the session; throws ApiError on failure. */
async function login(email, password) {
  const session = await api('/api/sessions', { method: 'POST', json: { email, password }, auth: false });
  setSession(session.token, publicUser(session.user));
}

/** What the page keeps of the account; `role` only decides whether the Admin link shows (the
 *  server checks the role again on every admin route). */
function publicUser(u) {
  return { id: u.id, email: u.email, displayName: u.displayName, role: u.role };
}

/** Disables a form's submit button while `task` runs. */
async function busy(form, task) {
  const button = form.querySelector('[type="submit"]');
  button.disabled = true;
  form.setAttribute('aria-busy', 'true');
  try { await task(); } finally {
    button.disabled = false;
    form.removeAttribute('aria-busy');
  }
}

export function initAuth({ onLoggedIn }) {
  const loginForm = $('#login-form');
  loginForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const email = $('#login-email').value.trim();
    const password = $('#login-password').value;
    if (!email || !password) { showMessage('Enter your email and password.'); return; }
    busy(loginForm, async () => {
      try {
        await login(email, password);
        $('#login-password').value = '';
        clearMessage();
        onLoggedIn();
      } catch (err) { showError(err); }
    });
  });

  const registerForm = $('#register-form');
  registerForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const email = $('#register-email').value.trim();
    const password = $('#register-password').value;
    const displayName = $('#register-name').value.trim();
    if (!email || !password || !displayName) {
      showMessage('Enter an email, a password and a display name to register.');
      return;
    }
    busy(registerForm, async () => {
      try {
        await api('/api/users', { method: 'POST', json: { email, password, displayName }, auth: false });
        await login(email, password);
        $('#register-password').value = '';
        clearMessage();
        onLoggedIn();
      } catch (err) { showError(err); }
    });
  });
}

/** Refreshes the stored user (for #whoami); a 401 here means the stored token is stale. */
export async function refreshMe() {
  if (!isLoggedIn()) return null;
  try {
    const me = await api('/api/users/me');
    setUser(publicUser(me));
    return me;
  } catch (err) {
    if (err.status !== 401) console.warn('Could not load the account', err);
    return null;
  }
}

export function logout() {
  // Access tokens are stateless JWTs (there is no session to delete server-side): forget it.
  clearSession();
}
