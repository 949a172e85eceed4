import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SPECIES } from '../../services/model/penguins.ts';
import { parsePenguinsCsv, stratifiedSplit } from '../../services/trainer/data.ts';

const csv = readFileSync(new URL('../../data/penguins.csv', import.meta.url), 'utf8');

describe('parsePenguinsCsv', () => {
  it('reads the bundled dataset and drops the rows with NA', () => {
    const ds = parsePenguinsCsv(csv);
    expect(ds.rows.length).toBe(333);
    expect(ds.droppedNa).toBe(11);
    expect(ds.rows[0]).toEqual({
      species: 'Adelie',
      features: {
        island: 'Torgersen',
        bill_length_mm: 39.1,
        bill_depth_mm: 18.7,
        flipper_length_mm: 181,
        body_mass_g: 3750,
        sex: 'male',
      },
    });
  });

  it('names the line and column of a bad value', () => {
    const bad =
      'species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex\nAdelie,Mars,1,2,3,4,male\n';
    expect(() => parsePenguinsCsv(bad)).toThrow(/line 2: island "Mars" is not one of/);
    expect(() => parsePenguinsCsv(bad.replace('Mars', 'Dream').replace(',1,', ',x,'))).toThrow(
      /line 2: bill_length_mm "x" is not a number/,
    );
  });

  it('rejects a file without the expected columns', () => {
    expect(() => parsePenguinsCsv('a,b\n1,2\n')).toThrow(/no column "species"/);
    expect(() => parsePenguinsCsv('')).toThrow(/empty/);
  });
});

describe('stratifiedSplit', () => {
  const rows = parsePenguinsCsv(csv).rows;

  it('is reproducible for a seed and different across seeds', () => {
    const a = stratifiedSplit(rows, 0.2, 42);
    const b = stratifiedSplit(rows, 0.2, 42);
    const c = stratifiedSplit(rows, 0.2, 43);
    expect(a).toEqual(b);
    expect(a.test).not.toEqual(c.test);
  });

  it('keeps every row exactly once and each species in proportion', () => {
    const { train, test } = stratifiedSplit(rows, 0.2, 7);
    expect(train.length + test.length).toBe(rows.length);
    expect(new Set([...train, ...test]).size).toBe(rows.length);
    for (const s of SPECIES) {
      const total = rows.filter((r) => r.species === s).length;
      expect(test.filter((r) => r.species === s).length).toBe(Math.round(total * 0.2));
    }
  });

  it('rejects a fraction outside (0, 1)', () => {
    expect(() => stratifiedSplit(rows, 1, 1)).toThrow(/testFraction/);
  });
});
