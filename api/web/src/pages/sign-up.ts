import type { Page } from '../app.js';
import { h } from '../dom.js';
import { Form } from '../form.js';
import { formOptions } from '../form-options.js';
import { nextPath } from '../login-redirect.js';

export const signUpPage: Page = {
  title: 'Sign up',
  async render({ app, query }) {
    // Without the list (the API unreachable), the country is simply left out.
    const countries = (await formOptions(app).catch(() => undefined))?.countries ?? [];
    const form = new Form('sign-up', [
      { name: 'name', label: 'Your name', required: true, attributes: { autocomplete: 'name', maxlength: '100' } },
      { name: 'email', label: 'Email', type: 'email', required: true, attributes: { autocomplete: 'email' } },
      { name: 'password', label: 'Password', type: 'password', required: true, hint: 'At least 8 characters.', attributes: { autocomplete: 'new-password' } },
      { name: 'country', label: 'Country (optional)', kind: 'select', options: [{ value: '', label: 'Not saying' }, ...countries], attributes: { autocomplete: 'country' } },
      { name: 'city', label: 'City (optional)', attributes: { autocomplete: 'address-level2', maxlength: '100' } },
    ], 'Create account', async (form) => {
      const country = form.value('country');
      const city = form.value('city').trim();
      const { user, session } = await app.api().accounts.signUp({
        name: form.value('name').trim(),
        email: form.value('email').trim(),
        password: form.value('password'),
        ...(country ? { country } : {}),
        ...(city ? { city } : {}),
      });
      app.session.set({ token: session.token, user });
      app.navigate(nextPath(query));
    });
    return h('section', { class: 'narrow' },
      h('h1', {}, 'Create your account'),
      form.element,
      h('p', {}, 'Already have one? ', h('a', { href: `/login${location.search}` }, 'Log in')));
  },
};
