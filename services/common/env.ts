// Reads a service's configuration from environment variables, validated once at start.
// A bad value throws ConfigError with a one-line reason naming the variable.
// Every variable read may instead be given as `<NAME>_FILE=<path>` (Swarm secrets are files under /run/secrets):
// the file's content without its trailing newline is the value. Only names a service asks for are looked up this
// way, so unrelated `*_FILE` variables in the environment are never read.
import { readFileSync } from 'node:fs';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

export class EnvReader {
  private readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  private get(name: string): string | undefined {
    const direct = this.env[name];
    const file = this.env[`${name}_FILE`];
    if (file === undefined || file === '') return direct;
    if (direct !== undefined && direct !== '') {
      this.problems.push(`${name} and ${name}_FILE are both set; give one`);
      return direct;
    }
    try {
      return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      this.problems.push(`${name}_FILE=${JSON.stringify(file)} cannot be read (${code})`);
      return undefined;
    }
  }

  string(name: string, def?: string): string {
    const v = this.get(name);
    if (v === undefined || v === '') {
      if (def === undefined) {
        this.problems.push(`${name} is required`);
        return '';
      }
      return def;
    }
    return v;
  }

  int(name: string, def: number, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.get(name);
    if (raw === undefined || raw === '') return def;
    if (!/^-?\d+$/.test(raw.trim())) {
      this.problems.push(`${name}=${JSON.stringify(raw)} is not a whole number`);
      return def;
    }
    const n = Number(raw);
    if (n < min || n > max) this.problems.push(`${name}=${n} is out of range ${min}..${max}`);
    return n;
  }

  number(name: string, def: number, min = -Infinity, max = Infinity): number {
    const raw = this.get(name);
    if (raw === undefined || raw === '') return def;
    const n = Number(raw);
    if (!Number.isFinite(n)) {
      this.problems.push(`${name}=${JSON.stringify(raw)} is not a number`);
      return def;
    }
    if (n < min || n > max) this.problems.push(`${name}=${n} is out of range ${min}..${max}`);
    return n;
  }

  url(name: string, def?: string): string {
    const v = this.string(name, def);
    if (v && !URL.canParse(v)) this.problems.push(`${name}=${JSON.stringify(v)} is not a URL`);
    return v.replace(/\/+$/, '');
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], def: T): T {
    const v = this.get(name);
    if (v === undefined || v === '') return def;
    if (!allowed.includes(v as T)) {
      this.problems.push(`${name}=${JSON.stringify(v)} must be one of ${allowed.join(', ')}`);
      return def;
    }
    return v as T;
  }

  /** Throws one ConfigError listing every problem found, or returns the value. */
  done<T>(value: T): T {
    if (this.problems.length > 0) throw new ConfigError(`invalid configuration: ${this.problems.join('; ')}`);
    return value;
  }
}
