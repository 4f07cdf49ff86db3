import type { Page } from '../app.js';
import { h } from '../dom.js';

export const notFoundPage: Page = {
  title: 'Not found',
  render: () => h('section', {}, h('h1', {}, 'Page not found'), h('p', {}, h('a', { href: '/' }, 'Go to search'))),
};
