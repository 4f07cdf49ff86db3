// History routing: same-origin links change the page without a reload; the server answers any
// such path with index.html, so reloads and shared links land on the same page.
import type { App, Page } from './app.js';

export interface Route {
  pattern: RegExp;
  page: Page;
}

export class Router {
  #controller = new AbortController();
  #rendered = false;

  constructor(private readonly routes: Route[], private readonly notFound: Page, private readonly outlet: HTMLElement, private readonly app: App) {}

  start(): void {
    window.addEventListener('popstate', () => void this.render());
    document.addEventListener('click', (event) => {
      const link = (event.target as Element | null)?.closest?.('a');
      if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      if (link.target || link.hasAttribute('download') || link.origin !== location.origin || link.pathname.startsWith('/v1/')) return;
      event.preventDefault();
      this.navigate(link.pathname + link.search);
    });
    void this.render();
  }

  navigate(path: string, options: { replace?: boolean } = {}): void {
    if (options.replace) history.replaceState(null, '', path);
    else history.pushState(null, '', path);
    void this.render();
  }

  async render(): Promise<void> {
    this.#controller.abort();
    const controller = new AbortController();
    this.#controller = controller;
    let page = this.notFound;
    let params: Record<string, string> = {};
    for (const route of this.routes) {
      const match = route.pattern.exec(location.pathname);
      if (match) {
        page = route.page;
        params = { ...match.groups };
        break;
      }
    }
    document.title = `${page.title} · Steveslist`;
    this.outlet.setAttribute('aria-busy', 'true');
    try {
      const content = await page.render({ app: this.app, params, query: new URLSearchParams(location.search), signal: controller.signal });
      if (controller.signal.aborted) return;
      this.outlet.replaceChildren(content);
      // The page's main input, else the page itself, so keyboard and screen-reader users start
      // on the new content rather than on the link they followed.
      const target = this.outlet.querySelector<HTMLElement>('[data-autofocus]') ?? (this.#rendered ? this.outlet : null);
      target?.focus();
      this.#rendered = true;
    } catch (error) {
      if (controller.signal.aborted) return;
      const message = document.createElement('p');
      message.className = 'error';
      message.setAttribute('role', 'alert');
      message.textContent = error instanceof Error ? error.message : String(error);
      this.outlet.replaceChildren(message);
    } finally {
      if (!controller.signal.aborted) this.outlet.setAttribute('aria-busy', 'false');
    }
  }
}
