import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PenguinsModel } from '../../services/model/penguins.ts';
import { parsePenguinsCsv } from '../../services/trainer/data.ts';
import { fitAndEvaluate } from '../../services/trainer/fit.ts';

const rows = parsePenguinsCsv(readFileSync(new URL('../../data/penguins.csv', import.meta.url), 'utf8')).rows;

describe('fitAndEvaluate', () => {
  it('reaches at least 0.95 holdout accuracy with the default seed, the same on every run', () => {
    const a = fitAndEvaluate(rows, 42);
    const b = fitAndEvaluate(rows, 42);
    expect(a.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(b.accuracy).toBe(a.accuracy);
    expect(a.holdout + a.trainRows).toBe(rows.length);
  });

  it('produces an artifact inference can load and that predicts the training data well', () => {
    const fit = fitAndEvaluate(rows, 1);
    const artifact = JSON.parse(fit.bytes);
    expect(artifact.holdoutAccuracy).toBe(fit.accuracy);
    const model = PenguinsModel.fromArtifact(artifact);
    const predicted = model.predict(rows.map((r) => r.features));
    const correct = predicted.filter((p, i) => p.species === rows[i].species).length;
    expect(correct / rows.length).toBeGreaterThanOrEqual(0.95);
  });
});
