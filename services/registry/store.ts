// The registry's domain over the JSON store: registered models, their versions and aliases.
// Layout (docs/ARCHITECTURE.md): models/<name>/model.json holds the model, its `next_version`
// counter and its aliases; models/<name>/versions/<n>.json holds one version. Version numbers come
// from a conditional update of the counter, so concurrent creates never share a number.
import { invalid, notFound, RegistryError } from './errors.ts';
import type { JsonStore } from './json-store.ts';
import type { ModelVersion, NameFilter, RegisteredModel, Tag } from './types.ts';

interface StoredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description: string;
  next_version: number;
  aliases: Record<string, string>;
  tags: Tag[];
}

type StoredVersion = Omit<ModelVersion, 'aliases'>;

export interface NewVersion {
  name: string;
  source: string;
  run_id?: string;
  description?: string;
  tags?: Tag[];
}

export interface SearchPage {
  registered_models: RegisteredModel[];
  next_page_token?: string;
}

const modelKey = (name: string) => `models/${name}/model.json`;
const versionKey = (name: string, version: string | number) => `models/${name}/versions/${version}.json`;
const MODEL_KEY = /^models\/([^/]+)\/model\.json$/;

/** A version number whose counter was taken but whose file is not written yet is skipped this many times at most. */
const LATEST_LOOKBACK = 32;

export class RegistryStore {
  constructor(
    private readonly store: JsonStore,
    /** Called before each operation: throws while storage is not ready (bucket unchecked). */
    private readonly ready: () => Promise<void>,
  ) {}

  async createModel(name: string, description = '', tags: Tag[] = []): Promise<RegisteredModel> {
    await this.ready();
    const now = Date.now();
    const model: StoredModel = {
      name,
      creation_timestamp: now,
      last_updated_timestamp: now,
      description,
      next_version: 1,
      aliases: {},
      tags,
    };
    if (!(await this.store.create(modelKey(name), model))) {
      throw new RegistryError('RESOURCE_ALREADY_EXISTS', `Registered Model (name=${name}) already exists.`);
    }
    return this.present(model, undefined);
  }

  async getModel(name: string): Promise<RegisteredModel> {
    await this.ready();
    const model = await this.readModel(name);
    return this.present(model, await this.latestVersion(model));
  }

  async search(filter: NameFilter, maxResults: number, pageToken: string | undefined): Promise<SearchPage> {
    await this.ready();
    const after = pageToken === undefined ? undefined : decodePageToken(pageToken);
    const names = (await this.store.listKeys('models/'))
      .map((k) => MODEL_KEY.exec(k)?.[1])
      .filter((n): n is string => n !== undefined && filter(n) && (after === undefined || n > after))
      .sort();
    const page = names.slice(0, maxResults);
    const models = await Promise.all(
      page.map(async (n) => {
        const m = await this.store.get<StoredModel>(modelKey(n));
        return m ? this.present(m.value, await this.latestVersion(m.value)) : undefined;
      }),
    );
    const result: SearchPage = { registered_models: models.filter((m): m is RegisteredModel => m !== undefined) };
    if (names.length > maxResults) result.next_page_token = encodePageToken(page[page.length - 1]);
    return result;
  }

  async createVersion(v: NewVersion): Promise<ModelVersion> {
    await this.ready();
    const now = Date.now();
    const number = await this.store.update<StoredModel, number | undefined>(modelKey(v.name), (m) =>
      m
        ? { write: { ...m, next_version: m.next_version + 1, last_updated_timestamp: now }, result: m.next_version }
        : { keep: true, result: undefined },
    );
    if (number === undefined) throw modelNotFound(v.name);
    const version: StoredVersion = {
      name: v.name,
      version: String(number),
      creation_timestamp: now,
      last_updated_timestamp: now,
      current_stage: 'None',
      description: v.description ?? '',
      source: v.source,
      run_id: v.run_id ?? '',
      status: 'READY',
      tags: v.tags ?? [],
    };
    // The counter guarantees nobody else owns this number; If-None-Match only guards against a bug.
    if (!(await this.store.create(versionKey(v.name, number), version))) {
      throw new Error(
        `version file ${versionKey(v.name, number)} already exists although its number was just allocated`,
      );
    }
    return { ...version, aliases: [] };
  }

  async getVersion(name: string, version: string): Promise<ModelVersion> {
    await this.ready();
    const [model, stored] = await Promise.all([
      this.readModel(name),
      this.store.get<StoredVersion>(versionKey(name, version)),
    ]);
    if (!stored)
      throw new RegistryError('RESOURCE_DOES_NOT_EXIST', `Model Version (name=${name}, version=${version}) not found`);
    return withAliases(stored.value, model);
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.ready();
    // The version must exist; versions are never deleted, so checking before the update is enough.
    await this.getVersion(name, version);
    const found = await this.store.update<StoredModel, boolean>(modelKey(name), (m) =>
      m
        ? {
            write: { ...m, aliases: { ...m.aliases, [alias]: version }, last_updated_timestamp: Date.now() },
            result: true,
          }
        : { keep: true, result: false },
    );
    if (!found) throw modelNotFound(name);
  }

  async getAlias(name: string, alias: string): Promise<ModelVersion> {
    await this.ready();
    const model = await this.readModel(name);
    const version = model.aliases[alias];
    if (version === undefined) throw notFound(`Registered model alias ${alias} not found.`);
    const stored = await this.store.get<StoredVersion>(versionKey(name, version));
    if (!stored) throw notFound(`Model Version (name=${name}, version=${version}) not found`);
    return withAliases(stored.value, model);
  }

  /** Removing an alias that is not set is not an error: the wanted state already holds. */
  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.ready();
    const found = await this.store.update<StoredModel, boolean>(modelKey(name), (m) => {
      if (!m) return { keep: true, result: false };
      if (!(alias in m.aliases)) return { keep: true, result: true };
      const { [alias]: _removed, ...aliases } = m.aliases;
      return { write: { ...m, aliases, last_updated_timestamp: Date.now() }, result: true };
    });
    if (!found) throw modelNotFound(name);
  }

  private async readModel(name: string): Promise<StoredModel> {
    const m = await this.store.get<StoredModel>(modelKey(name));
    if (!m) throw modelNotFound(name);
    return m.value;
  }

  private async latestVersion(model: StoredModel): Promise<ModelVersion | undefined> {
    const lowest = Math.max(1, model.next_version - LATEST_LOOKBACK);
    for (let n = model.next_version - 1; n >= lowest; n--) {
      const v = await this.store.get<StoredVersion>(versionKey(model.name, n));
      if (v) return withAliases(v.value, model);
    }
    return undefined;
  }

  private present(m: StoredModel, latest: ModelVersion | undefined): RegisteredModel {
    return {
      name: m.name,
      creation_timestamp: m.creation_timestamp,
      last_updated_timestamp: m.last_updated_timestamp,
      description: m.description,
      latest_versions: latest ? [latest] : [],
      aliases: Object.entries(m.aliases)
        .map(([alias, version]) => ({ alias, version }))
        .sort((a, b) => a.alias.localeCompare(b.alias)),
      tags: m.tags,
    };
  }
}

function withAliases(v: StoredVersion, model: StoredModel): ModelVersion {
  const aliases = Object.entries(model.aliases)
    .filter(([, version]) => version === v.version)
    .map(([alias]) => alias)
    .sort();
  return { ...v, aliases };
}

function modelNotFound(name: string): RegistryError {
  return notFound(`Registered Model with name=${name} not found`);
}

function encodePageToken(after: string): string {
  return Buffer.from(JSON.stringify({ after }), 'utf8').toString('base64url');
}

function decodePageToken(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // fall through to the error below: the reason is the same for every malformed token
  }
  throw invalid(`page_token ${JSON.stringify(token)} is not a token this registry issued`);
}
