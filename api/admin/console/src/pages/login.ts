// Log-in with username and password, then the authenticator code when the account has one.
import { api, ApiFailure } from '../api.js';
import { h } from '../dom.js';
import type { Staff } from '../session.js';
import { field } from '../ui.js';

export function loginPage(onSignedIn: (staff: Staff) => void): HTMLElement {
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, maxlength: 100 });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: 200 });
  const code = h('input', { name: 'totp', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: 6 });
  const codeField = field('Authenticator code', code);
  codeField.hidden = true;
  const error = h('p', { class: 'field-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary wide' }, 'Log in');
  const form = h('form', { class: 'login-card', 'aria-label': 'Log in' },
    h('div', { class: 'brand' }, h('strong', {}, 'Steveslist'), h('span', {}, 'Staff console')),
    h('h1', {}, 'Log in'),
    field('Username', username), field('Password', password), codeField, error, submit,
    h('p', { class: 'muted small' }, 'Accounts are made with steveslist admin add-user. Every log-in is kept in the audit trail.'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    submit.disabled = true;
    try {
      const body = { username: username.value.trim(), password: password.value, cookie: true, ...(codeField.hidden ? {} : { totp: code.value.trim() }) };
      const staff = await api<Staff>('POST', '/admin/session', body);
      onSignedIn({ username: staff.username, role: staff.role });
    } catch (failure) {
      if (failure instanceof ApiFailure && failure.code === 'totp_required') {
        codeField.hidden = false;
        error.textContent = 'Enter the 6-digit code from your authenticator app.';
        code.focus();
      } else {
        error.textContent = (failure as Error).message;
        if (!codeField.hidden) code.value = '';
      }
    } finally {
      submit.disabled = false;
    }
  });
  queueMicrotask(() => username.focus());
  return h('div', { class: 'login-page' }, form);
}
