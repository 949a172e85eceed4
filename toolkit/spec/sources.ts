// The three sources above the defaults. Each yields raw values per field with the location they came from, plus
// the problems found reading it; parsing into typed values happens in one place (load.ts) for all of them.
import { access, readFile } from 'node:fs/promises';
import { basename, isAbsolute, relative, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import schema from '../../toolkit.schema.json' with { type: 'json' };
import { FIELDS, type FieldKey, flagProperty } from './fields.ts';
import type { SpecFlags } from './types.ts';

export interface Problem {
  /** `toolkit.config.yaml: replicas`, `TOOLKIT_PORT`, `--replicas`. */
  location: string;
  message: string;
}

export interface RawValue {
  key: FieldKey;
  raw: unknown;
  location: string;
}

export interface SourceResult {
  values: RawValue[];
  problems: Problem[];
}

export const CONFIG_NAMES = ['toolkit.config.yaml', 'toolkit.config.yml', 'toolkit.config.json'];

const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
const validateConfig = ajv.compile(schema);

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

/** The config file in cwd (or the one named), undefined when there is none. Two candidates are ambiguous. */
async function findConfig(cwd: string, configPath?: string): Promise<{ file?: string; problems: Problem[] }> {
  if (configPath !== undefined) {
    const file = isAbsolute(configPath) ? configPath : resolve(cwd, configPath);
    if (await exists(file)) return { file, problems: [] };
    return { problems: [{ location: '--config', message: `${configPath}: no such file` }] };
  }
  const found: string[] = [];
  for (const name of CONFIG_NAMES) if (await exists(resolve(cwd, name))) found.push(name);
  if (found.length > 1) {
    return { problems: [{ location: found.join(', '), message: 'more than one config file; keep one' }] };
  }
  return { file: found[0] ? resolve(cwd, found[0]) : undefined, problems: [] };
}

function describeSchemaError(e: ErrorObject): { path: string; message: string } {
  const path = e.instancePath.slice(1).replaceAll('/', '.');
  const join = (p: string, k: string) => (p ? `${p}.${k}` : k);
  const message = (e.message ?? 'is invalid').replace('>=', '≥').replace('<=', '≤');
  switch (e.keyword) {
    case 'additionalProperties':
      return { path: join(path, String(e.params.additionalProperty)), message: 'unknown setting' };
    case 'enum':
      return { path, message: `must be one of ${(e.params.allowedValues as unknown[]).join(', ')}` };
    case 'propertyNames':
      return { path: join(path, String(e.params.propertyName)), message: 'is not a replica number (1, 2, …)' };
    default:
      return { path, message };
  }
}

/** Reads, parses and schema-checks the config file; values at paths the schema rejected are dropped. */
export async function configSource(cwd: string, configPath?: string): Promise<SourceResult> {
  const { file, problems } = await findConfig(cwd, configPath);
  if (!file) return { values: [], problems };
  const name = configPath !== undefined ? relative(cwd, file) || basename(file) : basename(file);
  let doc: unknown;
  try {
    const text = await readFile(file, 'utf8');
    doc = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    const reason =
      err instanceof YAMLParseError
        ? err.message.split('\n')[0]
        : err instanceof SyntaxError
          ? err.message
          : `cannot read: ${(err as Error).message}`;
    return { values: [], problems: [{ location: name, message: reason }] };
  }
  if (doc === null || doc === undefined) return { values: [], problems: [] }; // an empty file is no settings
  if (!validateConfig(doc)) {
    const seen = new Set<string>();
    for (const e of validateConfig.errors ?? []) {
      const { path, message } = describeSchemaError(e);
      // Patterns are there for editors; the field parsers check the same and say it in words.
      if (e.keyword === 'pattern' && FIELDS.some((f) => f.configPath === path)) continue;
      // A union type reports one error per member: one line per setting is enough.
      if (seen.has(path)) continue;
      seen.add(path);
      problems.push({ location: path ? `${name}: ${path}` : name, message });
    }
  }
  const rejected = [...new Set(problems.map((p) => p.location))];
  const values: RawValue[] = [];
  for (const field of FIELDS) {
    const location = `${name}: ${field.configPath}`;
    if (rejected.some((r) => r === location || r.startsWith(`${location}.`) || location.startsWith(`${r}.`))) continue;
    if (rejected.includes(name)) continue;
    const raw = dig(doc, field.configPath);
    if (raw !== undefined) values.push({ key: field.key, raw, location });
  }
  return { values, problems };
}

function dig(doc: unknown, path: string): unknown {
  let node = doc;
  for (const part of path.split('.')) {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** TOOLKIT_* variables; empty means unset (so `TOOLKIT_PORT= toolkit up` does not fail). */
export function envSource(env: Record<string, string | undefined>): SourceResult {
  const values: RawValue[] = [];
  for (const field of FIELDS) {
    const raw = env[field.env];
    if (raw !== undefined && raw !== '') values.push({ key: field.key, raw, location: field.env });
  }
  return { values, problems: [] };
}

export function flagSource(flags: SpecFlags): SourceResult {
  const values: RawValue[] = [];
  const byProperty = flags as Record<string, unknown>;
  for (const field of FIELDS) {
    const raw = byProperty[flagProperty(field)];
    // A switch left off (false) is not a choice: the lower layers stay in force.
    if (raw !== undefined && !(field.key === 'bootstrapImages' && raw === false)) {
      values.push({ key: field.key, raw, location: field.flag });
    }
  }
  return { values, problems: [] };
}
