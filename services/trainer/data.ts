// Loads the penguins CSV into typed rows and splits it reproducibly into train and holdout sets.
// The file is plain comma-separated with no quoting, so a line split is enough; anything unexpected
// (missing column, unknown category) is an error naming the line, not a silently dropped row.
import { ISLANDS, type PenguinFeatures, SEXES, SPECIES, type Species } from '../model/penguins.ts';

export interface LabelledRow {
  features: PenguinFeatures;
  species: Species;
}

export interface Dataset {
  rows: LabelledRow[];
  /** Rows skipped because a value was NA (the published dataset has a few). */
  droppedNa: number;
}

const COLUMNS = [
  'species',
  'island',
  'bill_length_mm',
  'bill_depth_mm',
  'flipper_length_mm',
  'body_mass_g',
  'sex',
] as const;

export function parsePenguinsCsv(text: string): Dataset {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error('penguins CSV is empty');
  const header = lines[0].split(',').map((h) => h.trim());
  const index = COLUMNS.map((c) => {
    const i = header.indexOf(c);
    if (i < 0) throw new Error(`penguins CSV has no column "${c}" (header: ${header.join(',')})`);
    return i;
  });
  const rows: LabelledRow[] = [];
  let droppedNa = 0;
  for (let n = 1; n < lines.length; n++) {
    const cells = lines[n].split(',').map((c) => c.trim());
    const v = index.map((i) => cells[i]);
    if (v.some((c) => c === undefined || c === 'NA' || c === '')) {
      droppedNa++;
      continue;
    }
    const [species, island, bill, depth, flipper, mass, sex] = v;
    const where = `penguins CSV line ${n + 1}`;
    rows.push({
      species: oneOf(SPECIES, species, `${where}: species`),
      features: {
        island: oneOf(ISLANDS, island, `${where}: island`),
        bill_length_mm: num(bill, `${where}: bill_length_mm`),
        bill_depth_mm: num(depth, `${where}: bill_depth_mm`),
        flipper_length_mm: num(flipper, `${where}: flipper_length_mm`),
        body_mass_g: num(mass, `${where}: body_mass_g`),
        sex: oneOf(SEXES, sex, `${where}: sex`),
      },
    });
  }
  if (rows.length === 0) throw new Error('penguins CSV has no complete rows');
  return { rows, droppedNa };
}

function oneOf<T extends string>(allowed: readonly T[], v: string, what: string): T {
  if (!allowed.includes(v as T)) throw new Error(`${what} ${JSON.stringify(v)} is not one of ${allowed.join(', ')}`);
  return v as T;
}

function num(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${what} ${JSON.stringify(v)} is not a number`);
  return n;
}

/** mulberry32: tiny, well-known 32-bit PRNG; enough for a reproducible shuffle. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Split {
  train: LabelledRow[];
  test: LabelledRow[];
}

/**
 * Stratified split: each species contributes the same share to the holdout set, so the small
 * Chinstrap class is never missing from either side. Same seed, same input → same split.
 */
export function stratifiedSplit(rows: LabelledRow[], testFraction: number, seed: number): Split {
  if (!(testFraction > 0 && testFraction < 1)) throw new Error(`testFraction ${testFraction} must be in (0, 1)`);
  const random = seededRandom(seed);
  const train: LabelledRow[] = [];
  const test: LabelledRow[] = [];
  for (const species of SPECIES) {
    const group = rows.filter((r) => r.species === species);
    // Fisher–Yates with the seeded generator.
    for (let i = group.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [group[i], group[j]] = [group[j], group[i]];
    }
    const nTest = Math.round(group.length * testFraction);
    test.push(...group.slice(0, nTest));
    train.push(...group.slice(nTest));
  }
  return { train, test };
}
