// A labelled form whose errors appear next to the field the API names (`field` of a 400), or
// above the form when no field of ours is at fault.
import { SteveslistError } from '../../../client/index.js';
import { h } from './dom.js';
import { messageOf, withoutFieldPrefix } from './errors.js';

export interface FieldSpec {
  /** The API field this input feeds, so the API's `field` finds it. */
  name: string;
  label: string;
  kind?: 'input' | 'textarea' | 'select';
  type?: string;
  value?: string;
  required?: boolean;
  hint?: string;
  options?: { value: string; label: string }[];
  /** Extra attributes: autocomplete, maxlength, inputmode, ... */
  attributes?: Record<string, string>;
}

type Control = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

export class Form {
  readonly element: HTMLFormElement;
  readonly #controls = new Map<string, Control>();
  readonly #errors = new Map<string, HTMLElement>();
  readonly #summary: HTMLElement;
  readonly #submit: HTMLButtonElement;

  constructor(id: string, fields: FieldSpec[], submitLabel: string, onSubmit: (form: Form) => Promise<void>) {
    // Validation is the API's: one set of rules, and its messages shown where they belong.
    this.element = h('form', { id, novalidate: true, class: 'form' });
    this.#summary = h('p', { class: 'error form-error', role: 'alert', hidden: true });
    this.element.append(this.#summary);
    for (const field of fields) this.element.append(this.#field(id, field));
    this.#submit = h('button', { type: 'submit' }, submitLabel);
    this.element.append(h('div', { class: 'actions' }, this.#submit));
    this.element.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#run(onSubmit);
    });
  }

  value(name: string): string {
    const control = this.#controls.get(name);
    if (!control) throw new Error(`form ${this.element.id} has no field ${name}`);
    return control.value;
  }

  showError(message: string, field?: string): void {
    const slot = field === undefined ? undefined : this.#errors.get(field);
    if (field === undefined || !slot) {
      this.#summary.textContent = message;
      this.#summary.hidden = false;
      return;
    }
    slot.textContent = withoutFieldPrefix(message, field);
    slot.hidden = false;
    const control = this.#controls.get(field)!;
    control.setAttribute('aria-invalid', 'true');
    control.focus();
  }

  /** Back to the values the form started with, errors cleared (after a message is sent, say). */
  reset(): void {
    this.element.reset();
    this.clearErrors();
  }

  clearErrors(): void {
    this.#summary.hidden = true;
    this.#summary.textContent = '';
    for (const [name, slot] of this.#errors) {
      slot.hidden = true;
      slot.textContent = '';
      this.#controls.get(name)!.removeAttribute('aria-invalid');
    }
  }

  async #run(onSubmit: (form: Form) => Promise<void>): Promise<void> {
    this.clearErrors();
    this.#submit.disabled = true;
    this.element.setAttribute('aria-busy', 'true');
    try {
      await onSubmit(this);
    } catch (error) {
      this.showError(messageOf(error), error instanceof SteveslistError ? error.field : undefined);
    } finally {
      this.#submit.disabled = false;
      this.element.setAttribute('aria-busy', 'false');
    }
  }

  #field(formId: string, field: FieldSpec): HTMLElement {
    const id = `${formId}-${field.name}`;
    const errorId = `${id}-error`;
    const hintId = `${id}-hint`;
    const common = { id, name: field.name, required: field.required, 'aria-describedby': field.hint ? `${hintId} ${errorId}` : errorId, ...field.attributes };
    let control: Control;
    if (field.kind === 'textarea') {
      control = h('textarea', { ...common, rows: 5 });
      control.value = field.value ?? '';
    } else if (field.kind === 'select') {
      control = h('select', common, ...(field.options ?? []).map((option) => h('option', { value: option.value }, option.label)));
      if (field.value !== undefined) control.value = field.value;
    } else {
      control = h('input', { ...common, type: field.type ?? 'text' });
      control.value = field.value ?? '';
    }
    const error = h('p', { id: errorId, class: 'error field-error', hidden: true });
    this.#controls.set(field.name, control);
    this.#errors.set(field.name, error);
    return h('div', { class: 'field' },
      h('label', { for: id }, field.label),
      field.hint ? h('p', { id: hintId, class: 'hint' }, field.hint) : null,
      control,
      error);
  }
}
