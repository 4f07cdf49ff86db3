// The embedded search service: indexes in one folder (listing-index.ts) and a small catalog that plays the
// alias: which index serves searches and which are being rebuilt. Several processes may share
// the folder (the platform and `steveslist search reindex`); each re-reads the catalog when it
// changes.
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SearchService, SearchStore } from '../port.js';
import { DEFAULT_SYNONYMS, type SynonymGroups } from '../synonyms.js';
import { ListingIndex, SNAPSHOT_SUFFIX } from './listing-index.js';

export interface EmbeddedSearchOptions {
  /** Words that find each other (default DEFAULT_SYNONYMS); applied to queries, so no reindex. */
  synonyms?: SynonymGroups;
}

interface Catalog {
  serving: string;
  building: string[];
}

export class EmbeddedSearch implements SearchService {
  readonly kind = 'embedded' as const;
  private readonly stores = new Map<string, ListingIndex>();
  private catalog: Catalog | undefined;
  private catalogMtimeMs = -1;

  constructor(private readonly dir: string, private readonly alias = 'listings', private readonly options: EmbeddedSearchOptions = {}) {
    mkdirSync(dir, { recursive: true });
  }

  private get catalogPath(): string {
    return join(this.dir, `${this.alias}.catalog.json`);
  }

  private readCatalog(): Catalog | undefined {
    if (!existsSync(this.catalogPath)) return undefined;
    const mtime = statSync(this.catalogPath).mtimeMs;
    if (mtime !== this.catalogMtimeMs) {
      this.catalog = JSON.parse(readFileSync(this.catalogPath, 'utf8')) as Catalog;
      this.catalogMtimeMs = mtime;
      // Close indexes the catalog no longer names (dropped after a rebuild elsewhere).
      for (const [name, store] of this.stores) {
        if (name !== this.catalog.serving && !this.catalog.building.includes(name)) {
          store.discard();
          this.stores.delete(name);
        }
      }
    }
    return this.catalog;
  }

  private writeCatalog(catalog: Catalog): void {
    const tmp = `${this.catalogPath}.tmp`;
    writeFileSync(tmp, JSON.stringify(catalog));
    renameSync(tmp, this.catalogPath);
    this.catalog = catalog;
    this.catalogMtimeMs = statSync(this.catalogPath).mtimeMs;
  }

  private store(name: string): ListingIndex {
    let store = this.stores.get(name);
    if (!store) {
      store = new ListingIndex(name, join(this.dir, `${name}.sqlite`), this.options.synonyms ?? DEFAULT_SYNONYMS);
      this.stores.set(name, store);
    }
    return store;
  }

  async ensureIndex(): Promise<void> {
    if (this.readCatalog()) return;
    // Two processes opening a fresh folder at once (a worker and the API) must agree on one index:
    // the catalog is created with link(), which fails if another process created it first.
    const name = `${this.alias}-${Date.now()}`;
    const tmp = `${this.catalogPath}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ serving: name, building: [] } satisfies Catalog));
    try {
      linkSync(tmp, this.catalogPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      rmSync(tmp, { force: true });
    }
    this.store(this.readCatalog()!.serving);
  }

  async serving(): Promise<SearchStore> {
    await this.ensureIndex();
    return this.store(this.readCatalog()!.serving);
  }

  async writeTargets(): Promise<SearchStore[]> {
    await this.ensureIndex();
    const catalog = this.readCatalog()!;
    return [catalog.serving, ...catalog.building].map((name) => this.store(name));
  }

  async beginRebuild(): Promise<SearchStore> {
    await this.ensureIndex();
    const catalog = this.readCatalog()!;
    const name = `${this.alias}-${Date.now()}`;
    const store = this.store(name);
    this.writeCatalog({ ...catalog, building: [...catalog.building, name] });
    return store;
  }

  async finishRebuild(store: SearchStore): Promise<void> {
    const catalog = this.readCatalog()!;
    const old = catalog.serving;
    this.writeCatalog({ serving: store.name, building: catalog.building.filter((name) => name !== store.name) });
    this.drop(old);
  }

  async abortRebuild(store: SearchStore): Promise<void> {
    const catalog = this.readCatalog()!;
    this.writeCatalog({ ...catalog, building: catalog.building.filter((name) => name !== store.name) });
    this.drop(store.name);
  }

  private drop(name: string): void {
    this.stores.get(name)?.discard();
    this.stores.delete(name);
    for (const suffix of ['.sqlite', '.sqlite-wal', '.sqlite-shm', `.sqlite${SNAPSHOT_SUFFIX}`]) rmSync(join(this.dir, `${name}${suffix}`), { force: true });
  }

  async close(): Promise<void> {
    for (const store of this.stores.values()) store.close();
    this.stores.clear();
  }
}
