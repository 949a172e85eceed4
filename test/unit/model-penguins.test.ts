// The shared classifier: class probabilities are vote shares that sum to 1 and agree with the predicted species.
import { describe, expect, it } from 'vitest';
import { type PenguinFeatures, PenguinsModel, SPECIES, type Species, train } from '../../services/model/penguins.ts';
import { VALID_INSTANCE } from '../fixtures/inference-app.ts';

const adelie: PenguinFeatures = {
  island: 'Torgersen',
  bill_length_mm: 39.1,
  bill_depth_mm: 18.7,
  flipper_length_mm: 181,
  body_mass_g: 3750,
  sex: 'male',
};
const gentoo: PenguinFeatures = VALID_INSTANCE;
const chinstrap: PenguinFeatures = {
  island: 'Dream',
  bill_length_mm: 46.5,
  bill_depth_mm: 17.9,
  flipper_length_mm: 192,
  body_mass_g: 3500,
  sex: 'female',
};

function jitter(x: PenguinFeatures, k: number): PenguinFeatures {
  return { ...x, bill_length_mm: x.bill_length_mm + (k % 5) * 0.3, body_mass_g: x.body_mass_g + (k % 7) * 25 };
}

describe('PenguinsModel.predict', () => {
  const rows: PenguinFeatures[] = [];
  const labels: Species[] = [];
  for (let k = 0; k < 20; k++) {
    for (const [x, y] of [
      [adelie, 'Adelie'],
      [gentoo, 'Gentoo'],
      [chinstrap, 'Chinstrap'],
    ] as const) {
      rows.push(jitter(x, k));
      labels.push(y);
    }
  }
  const model = PenguinsModel.fromForest(train(rows, labels, { seed: 1, trees: 15 }));

  it('returns vote shares that sum to 1 and pick the species with the most votes', () => {
    for (const p of model.predict([adelie, gentoo, chinstrap])) {
      const sum = SPECIES.reduce((acc, s) => acc + p.probabilities[s], 0);
      expect(sum).toBeCloseTo(1, 3);
      const top = SPECIES.reduce((a, b) => (p.probabilities[b] > p.probabilities[a] ? b : a));
      expect(p.species).toBe(top);
    }
  });

  it('classifies clearly separated rows', () => {
    expect(model.predict([adelie, gentoo, chinstrap]).map((p) => p.species)).toEqual(['Adelie', 'Gentoo', 'Chinstrap']);
  });
});
