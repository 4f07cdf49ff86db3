// The console builds its pages with the web app's DOM helpers: one copy for both apps.
export * from '../../../web/src/dom.js';
