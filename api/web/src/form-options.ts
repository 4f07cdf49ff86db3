// The listing form's choices as the API serves them, fetched once per page load and shared by
// every page that needs a category, currency or country label.
import type { FormOptions } from '../../../client/index.js';
import type { App } from './app.js';

let loaded: Promise<FormOptions> | undefined;

export function formOptions(app: App): Promise<FormOptions> {
  loaded ??= app.api().formOptions().catch((error: unknown) => {
    // A failed fetch is tried again by the next page rather than remembered.
    loaded = undefined;
    throw error;
  });
  return loaded;
}

/** The label of a code among the choices, else the code itself (an older listing's category). */
export function labelOf(choices: readonly { value: string; label: string }[], value: string): string {
  return choices.find((choice) => choice.value.toLowerCase() === value.toLowerCase())?.label ?? value;
}
