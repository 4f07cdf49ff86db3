import type { Page } from '../app.js';
import { h } from '../dom.js';
import { Form } from '../form.js';
import { nextPath } from '../login-redirect.js';

export const logInPage: Page = {
  title: 'Log in',
  render({ app, query }) {
    const form = new Form('log-in', [
      { name: 'email', label: 'Email', type: 'email', required: true, attributes: { autocomplete: 'username' } },
      { name: 'password', label: 'Password', type: 'password', required: true, attributes: { autocomplete: 'current-password' } },
    ], 'Log in', async (form) => {
      const { token, user } = await app.api().accounts.logIn({ email: form.value('email').trim(), password: form.value('password') });
      app.session.set({ token, user });
      app.navigate(nextPath(query));
    });
    return h('section', { class: 'narrow' },
      h('h1', {}, 'Log in'),
      form.element,
      h('p', {}, 'New here? ', h('a', { href: `/signup${location.search}` }, 'Create an account')));
  },
};
