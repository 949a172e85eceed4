// The trainer's client for the registry's MLflow-style REST API: only the calls it makes.
// Client mistakes (4xx) are permanent; network errors and 5xx are retried by the caller's policy.
import type { ModelVersion } from '../registry/types.ts';
import { PermanentError } from './retry.ts';

export class RegistryHttpError extends PermanentError {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

export class RegistryClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async health(): Promise<void> {
    const res = await fetch(`${this.baseUrl}/health`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`registry /health answered ${res.status}`);
  }

  /** The version an alias points to, or undefined when the model or the alias does not exist. */
  async getAlias(name: string, alias: string): Promise<ModelVersion | undefined> {
    try {
      const out = await this.call<{ model_version: ModelVersion }>('GET', 'registered-models/alias', { name, alias });
      return out.model_version;
    } catch (err) {
      if (err instanceof RegistryHttpError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw err;
    }
  }

  /** Creates the registered model; true if created, false if it already existed. */
  async ensureModel(name: string, description: string): Promise<boolean> {
    try {
      await this.call('POST', 'registered-models/create', { name, description });
      return true;
    } catch (err) {
      if (err instanceof RegistryHttpError && err.errorCode === 'RESOURCE_ALREADY_EXISTS') return false;
      throw err;
    }
  }

  async createVersion(v: {
    name: string;
    source: string;
    description: string;
    tags: { key: string; value: string }[];
  }): Promise<ModelVersion> {
    return (await this.call<{ model_version: ModelVersion }>('POST', 'model-versions/create', v)).model_version;
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.call('POST', 'registered-models/alias', { name, alias, version });
  }

  private async call<T>(method: 'GET' | 'POST', path: string, params: Record<string, unknown>): Promise<T> {
    const url = new URL(`${this.baseUrl}/api/2.0/mlflow/${path}`);
    const init: RequestInit = { method, signal: AbortSignal.timeout(10_000), headers: {} };
    if (method === 'GET') {
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
    } else {
      init.body = JSON.stringify(params);
      init.headers = { 'content-type': 'application/json', authorization: `Bearer ${this.token}` };
    }
    const res = await fetch(url, init);
    const text = await res.text();
    let body: { error_code?: string; message?: string } = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      // not JSON (a proxy's error page): keep the raw text for the message below
    }
    if (res.ok) return body as T;
    const message = `registry ${method} ${path} answered ${res.status} ${body.error_code ?? ''}: ${body.message ?? text.slice(0, 200)}`;
    if (res.status >= 400 && res.status < 500) throw new RegistryHttpError(res.status, body.error_code ?? '', message);
    throw new Error(message);
  }
}
