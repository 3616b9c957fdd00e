import { describe, expect, it } from 'vitest';
import { confusionMatrix, expectedCalibrationError, perClassScores } from '../../analytics/index.js';

const pairs = [
  { predicted: 'a', actual: 'a', count: 8 },
  { predicted: 'b', actual: 'a', count: 2 },
  { predicted: 'b', actual: 'b', count: 3 },
  { predicted: 'a', actual: 'c', count: 1 },
];

describe('classification report', () => {
  it('perClassScores(pairs) gives precision, recall, F1 and support per label', () => {
    const [a, b, c] = perClassScores(pairs);
    expect(a).toEqual({ label: 'a', precision: 8 / 9, recall: 0.8, f1: (2 * (8 / 9) * 0.8) / (8 / 9 + 0.8), support: 10 });
    expect(b).toMatchObject({ label: 'b', precision: 0.6, recall: 1, support: 3 });
    expect(c).toEqual({ label: 'c', precision: 0, recall: 0, f1: 0, support: 1 });
  });

  it('confusionMatrix(pairs, labels) has true labels as rows and predictions as columns', () => {
    expect(confusionMatrix(pairs, ['a', 'b', 'c'])).toEqual([[8, 2, 0], [0, 3, 0], [1, 0, 0]]);
  });

  it('expectedCalibrationError weighs each bin\'s |accuracy − confidence| by its share', () => {
    // Bin 0.9: confidences 0.9, 0.9 with 1 of 2 right → |0.5 − 0.9| = 0.4, weight 2/4;
    // bin 0.3: 0.3, 0.3 with none right → 0.3, weight 2/4. ECE = 0.35.
    const { ece, bins } = expectedCalibrationError([0.9, 0.9, 0.3, 0.3], [true, false, false, false]);
    expect(ece).toBeCloseTo(0.35, 12);
    expect(bins).toHaveLength(10);
    expect(bins[9]).toEqual({ from: 0.9, n: 2, confidence: 0.9, accuracy: 0.5 });
    expect(bins[0]).toEqual({ from: 0, n: 0, confidence: null, accuracy: null });
    expect(expectedCalibrationError([1], [true]).ece).toBe(0);
    expect(expectedCalibrationError([], []).ece).toBeNull();
  });
});
