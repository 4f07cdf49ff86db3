// A listing's or saved search's category must be one the forms offer (GET /v1/form-options):
// a made-up code would file a listing where no one browses and an alert that never fires.
import { CATEGORIES } from '../../marketplace/domain/catalogue.js';
import { badRequest } from '../errors.js';

const SERVED = new Set(CATEGORIES.map((choice) => choice.value));
const CHOICES = CATEGORIES.map((choice) => choice.value);
const SAID = `${CHOICES.slice(0, -1).join(', ')} or ${CHOICES.at(-1)}`;

/** Refuses a category the forms do not offer, saying which ones they do. */
export function requireServedCategory(category: string | null | undefined): void {
  if (category === undefined || category === null || SERVED.has(category)) return;
  throw badRequest('category', `choose a category: ${SAID} ("${category}" is not one of them)`);
}
