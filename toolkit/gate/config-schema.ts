// gate.yaml's schema step: the JSON schema (gate.schema.json, widened for image/commit compare sides) and Ajv's
// errors turned into one `path: reason` per setting, so config.ts can point each at its line and column.
import { Ajv, type ErrorObject } from 'ajv';
import schema from '../../gate.schema.json' with { type: 'json' };
import { SIDE_ROLES } from './side-spec.ts';

export type Path = Array<string | number>;

const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
export const validateSchema = ajv.compile(withSideForms(schema));

/**
 * A compare side may also be a mapping ({image} / {commit}, with env). parseSide checks every side's shape with a
 * reason per key — better than the schema's anyOf summary, and a schema error would drop the whole regression
 * section from the rule checks. (gate.schema.json lists the three forms for editors.)
 */
function withSideForms(s: typeof schema): object {
  const copy = structuredClone(s) as unknown as {
    properties: { regression: { properties: { compare: { properties: Record<string, unknown> } } } };
  };
  const sides = copy.properties.regression.properties.compare.properties;
  for (const role of SIDE_ROLES) {
    const prior = (sides[role] ?? {}) as Record<string, unknown>;
    sides[role] = { description: prior.description };
  }
  return copy;
}

/** One line per path; anyOf alternatives are summed up instead of listed. */
export function schemaErrors(errors: ErrorObject[]): Array<{ path: Path; message: string; unknownKey?: boolean }> {
  const out = new Map<string, { path: Path; message: string; unknownKey?: boolean }>();
  for (const e of errors) {
    const path: Path = e.instancePath
      .split('/')
      .slice(1)
      .map((p) => (/^\d+$/.test(p) ? Number(p) : p.replaceAll('~1', '/').replaceAll('~0', '~')));
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties') {
      path.push(String(e.params.additionalProperty));
      message = 'unknown setting';
    } else if (e.keyword === 'enum') message = `must be one of ${(e.params.allowedValues as unknown[]).join(', ')}`;
    const key = JSON.stringify(path);
    const prior = out.get(key);
    if (e.keyword === 'anyOf')
      out.set(key, { path, message: 'does not match any allowed form (see gate.schema.json)' });
    else if (!prior) out.set(key, { path, message, unknownKey: e.keyword === 'additionalProperties' });
  }
  return [...out.values()];
}

/** The key node of `name` in a mapping node, so an unknown setting points at its name, not its value. */
export function keyNode(map: unknown, name: string | number): unknown {
  const items = (map as { items?: Array<{ key?: { value?: unknown } }> } | undefined)?.items ?? [];
  return items.find((pair) => pair.key?.value === name)?.key ?? map;
}
