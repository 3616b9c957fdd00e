import { describe, expect, it } from 'vitest';
import { clusteringAccuracy, normalizedMutualInformation } from '../../analytics/cluster-scores.js';

describe('clustering scores (TEXTOIR’s NMI and ACC)', () => {
  it('normalizedMutualInformation: 1 for the same partition under other names, 0 for independent ones, the arithmetic-mean normalisation otherwise', () => {
    expect(normalizedMutualInformation(['a', 'a', 'b', 'b'], [7, 7, 3, 3])).toBeCloseTo(1, 12);
    expect(normalizedMutualInformation(['a', 'a', 'b', 'b'], [1, 2, 1, 2])).toBeCloseTo(0, 12);
    // I = (1/3) ln 3 + (1/6) ln 3 + (1/3) ln 2; H(truth) = ln 3; H(clusters) of counts 2, 1, 3 of 6.
    const mi = Math.log(3) / 3 + Math.log(3) / 6 + Math.log(2) / 3;
    const hb = -((2 / 6) * Math.log(2 / 6) + (1 / 6) * Math.log(1 / 6) + (3 / 6) * Math.log(3 / 6));
    expect(normalizedMutualInformation([0, 0, 1, 1, 2, 2], [0, 0, 1, 2, 2, 2])).toBeCloseTo(mi / ((Math.log(3) + hb) / 2), 12);
    expect(() => normalizedMutualInformation([1], [1, 2])).toThrow(RangeError);
  });

  it('clusteringAccuracy maps each cluster to at most one class, the mapping that gets most items right', () => {
    expect(clusteringAccuracy(['a', 'a', 'b', 'b'], [1, 1, 1, 2])).toBe(0.75);
    // Two clusters cannot both map to class 0: 5 → 0 (2 right), 7 → 2 (1 right), 8 → 1 (none).
    expect(clusteringAccuracy([0, 0, 1, 1, 2, 2], [5, 5, 5, 5, 7, 8])).toBe(0.5);
    // Every item alone: one item per class is right at best.
    expect(clusteringAccuracy(['a', 'a', 'a', 'b'], [1, 2, 3, 4])).toBe(0.5);
    expect(clusteringAccuracy(['x', 'y', 'z'], ['z', 'x', 'y'])).toBe(1);
  });
});
