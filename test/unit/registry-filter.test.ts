import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../services/registry/errors.ts';
import { parseNameFilter } from '../../services/registry/filter.ts';

const names = ['penguins', 'penguins-v2', 'Penguins_big', 'iris', 'pen%'];
const match = (filter: string | undefined) => names.filter(parseNameFilter(filter));

describe('registry search filter', () => {
  it('matches everything without a filter', () => {
    expect(match(undefined)).toEqual(names);
    expect(match('  ')).toEqual(names);
  });

  it('supports equality with single or double quotes and any spacing', () => {
    expect(match("name='iris'")).toEqual(['iris']);
    expect(match('name = "penguins"')).toEqual(['penguins']);
    expect(match("name != 'iris'")).toEqual(names.filter((n) => n !== 'iris'));
  });

  it('treats % and _ as LIKE wildcards and everything else literally', () => {
    expect(match("name LIKE 'pen%'")).toEqual(['penguins', 'penguins-v2', 'pen%']);
    expect(match("name LIKE 'penguins-v_'")).toEqual(['penguins-v2']);
    expect(match("name like '%.%'")).toEqual([]);
  });

  it('ILIKE is case-insensitive, LIKE is not', () => {
    expect(match("name LIKE 'penguins_big'")).toEqual([]);
    expect(match("name ILIKE 'penguins_big'")).toEqual(['Penguins_big']);
  });

  it('rejects other filters with a 400 naming the supported forms', () => {
    for (const bad of ["tags.x = 'y'", "name = 'a' AND name = 'b'", 'name = iris', "name LIKE 'x"]) {
      let err: unknown;
      try {
        parseNameFilter(bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RegistryError);
      expect((err as RegistryError).status).toBe(400);
      expect((err as RegistryError).code).toBe('INVALID_PARAMETER_VALUE');
      expect((err as RegistryError).message).toContain('LIKE');
    }
  });
});
