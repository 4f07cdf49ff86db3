// Settings: the phone number SMS notifications go to. Adding it texts a code; typing the code
// back verifies it; then two switches choose what to be texted about.
import '../settings.css';
import { NotFoundError, ValidationError, type Phone } from '../../../../client/index.js';
import type { App, Page } from '../app.js';
import { h, replaceChildren } from '../dom.js';
import { messageOf, withoutFieldPrefix } from '../errors.js';
import { requireSession } from '../login-redirect.js';

export const settingsPage: Page = {
  title: 'Settings',
  async render(context) {
    if (!requireSession(context)) return h('p', {}, 'Log in to change your settings.');
    const { app } = context;
    const block = h('section', { class: 'settings-block', 'aria-labelledby': 'sms-heading', 'data-testid': 'sms-settings' });
    const phone = await app.api().phone.get({ signal: context.signal }).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    showPhone(block, app, phone);
    return h('section', { class: 'settings-page' }, h('h1', {}, 'Settings'), block);
  },
};

/** The field's message beside it (without the field's name), anything else above the form. */
function showError(error: unknown, fields: Record<string, HTMLElement>, general: HTMLElement): void {
  const field = error instanceof ValidationError || (error as { field?: string }).field ? (error as { field?: string }).field : undefined;
  const target = field ? fields[field] : undefined;
  const text = messageOf(error);
  if (target) target.textContent = withoutFieldPrefix(text, field!);
  else general.textContent = text;
}

function showPhone(block: HTMLElement, app: App, phone: Phone | undefined): void {
  const heading = h('h2', { id: 'sms-heading' }, 'Text messages (SMS)');
  if (!phone) replaceChildren(block, heading, h('p', {}, 'Get a text when you buy or sell something, or when someone writes to you. Add your mobile number; we text it a code to check it is yours.'), numberForm(block, app));
  else if (!phone.verified) replaceChildren(block, heading, codeForm(block, app, phone));
  else replaceChildren(block, heading, preferences(block, app, phone));
}

function numberForm(block: HTMLElement, app: App, current?: string): HTMLElement {
  const input = h('input', { id: 'sms-phone', name: 'phone', type: 'tel', autocomplete: 'tel', inputmode: 'tel', placeholder: '+44 7700 900123', value: current ?? '', required: true, 'aria-describedby': 'sms-phone-help sms-phone-error' });
  const fieldError = h('p', { id: 'sms-phone-error', class: 'error field-error', role: 'alert' });
  const general = h('p', { class: 'error', role: 'alert' });
  const submit = h('button', { type: 'submit' }, 'Text me a code');
  const form = h('form', { class: 'sms-form', novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: 'sms-phone' }, 'Mobile number'),
      input,
      h('p', { id: 'sms-phone-help', class: 'muted' }, 'With + and your country code.'),
      fieldError),
    general, submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    fieldError.textContent = '';
    general.textContent = '';
    input.removeAttribute('aria-invalid');
    submit.disabled = true;
    try {
      showPhone(block, app, await app.api().phone.set(input.value));
    } catch (error) {
      showError(error, { phone: fieldError }, general);
      if (fieldError.textContent) input.setAttribute('aria-invalid', 'true');
      submit.disabled = false;
    }
  });
  return form;
}

function codeForm(block: HTMLElement, app: App, phone: Phone): HTMLElement {
  const input = h('input', { id: 'sms-code', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6, pattern: '\\d{6}', required: true, 'aria-describedby': 'sms-code-error' });
  const fieldError = h('p', { id: 'sms-code-error', class: 'error field-error', role: 'alert' });
  const general = h('p', { class: 'error', role: 'alert' });
  const note = h('p', { class: 'muted', role: 'status' });
  const verify = h('button', { type: 'submit' }, 'Verify');
  const resend = h('button', { type: 'button', class: 'secondary' }, 'Text me a new code');
  const change = h('button', { type: 'button', class: 'link' }, 'Use another number');
  const form = h('form', { class: 'sms-form', novalidate: true },
    h('p', {}, `We texted a 6-digit code to ${phone.phone}. Type it here to turn on text messages.`),
    h('div', { class: 'field' }, h('label', { for: 'sms-code' }, 'Code'), input, fieldError),
    general, note,
    h('div', { class: 'sms-actions' }, verify, resend, change));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    fieldError.textContent = '';
    general.textContent = '';
    note.textContent = '';
    verify.disabled = true;
    try {
      showPhone(block, app, await app.api().phone.verify(input.value));
    } catch (error) {
      showError(error, { code: fieldError }, general);
      verify.disabled = false;
    }
  });
  resend.addEventListener('click', async () => {
    general.textContent = '';
    note.textContent = '';
    resend.disabled = true;
    try {
      await app.api().phone.sendCode();
      note.textContent = 'A new code is on its way.';
    } catch (error) {
      showError(error, {}, general);
    }
    resend.disabled = false;
  });
  change.addEventListener('click', () => {
    const heading = block.querySelector('h2');
    replaceChildren(block, heading, numberForm(block, app, phone.phone));
  });
  return form;
}

function preferences(block: HTMLElement, app: App, phone: Phone): HTMLElement {
  const general = h('p', { class: 'error', role: 'alert' });
  const toggle = (name: 'sms_orders' | 'sms_messages', label: string) => {
    const box = h('input', { type: 'checkbox', id: `sms-${name}`, name, checked: phone[name] });
    box.addEventListener('change', async () => {
      general.textContent = '';
      box.disabled = true;
      try {
        const changed = await app.api().phone.setPreferences({ [name]: box.checked });
        box.checked = changed[name];
      } catch (error) {
        box.checked = !box.checked;
        showError(error, {}, general);
      }
      box.disabled = false;
    });
    return h('div', { class: 'check' }, box, h('label', { for: `sms-${name}` }, label));
  };
  const remove = h('button', { type: 'button', class: 'secondary' }, 'Remove number');
  remove.addEventListener('click', async () => {
    remove.disabled = true;
    try {
      await app.api().phone.remove();
      showPhone(block, app, undefined);
    } catch (error) {
      showError(error, {}, general);
      remove.disabled = false;
    }
  });
  return h('div', {},
    h('p', {}, 'Texts go to ', h('strong', { 'data-testid': 'sms-number' }, phone.phone), ' ', h('span', { class: 'badge' }, 'Verified')),
    h('fieldset', { class: 'sms-choices' }, h('legend', {}, 'Text me when'),
      toggle('sms_orders', 'I buy or sell something'),
      toggle('sms_messages', 'someone writes to me')),
    general,
    h('div', { class: 'sms-actions' }, remove));
}
