import { describe, expect, it } from 'vitest';
import type { ReportData } from '../../web/report.js';
import { FEW, headlines, strongestSignals } from '../../web/signals.js';

const interval = (value: number, half: number, n: number) => ({ value, low: value - half, high: value + half, n });

/** A report's data with only what signals read: survey results per segment, needs, out-of-scope counts. */
function data(over: Partial<ReportData> = {}): ReportData {
  return {
    run_id: '1', generated_at: '2026-10-11T00:00:00Z', summary: [], labels: { lower_cost: { en: 'Pay less for what I use', zh: '按需付费、降低成本' } },
    needs: {
      window: { from: '2026-09-13T00:00:00Z', to: '2026-10-11T00:00:00Z' },
      segment_names: { 0: 'Enterprise sheets users', 1: 'Tiny group', 2: 'Quick-task email users' },
      rows: [], experience: [],
      nps: interval(6, 11, 172), csat: interval(81, 5, 177),
      by_segment: [
        { segment: 0, nps: interval(-58, 20, 33), csat: interval(70, 12, 33) },
        // A larger effect on ten answers: flagged, and never a headline.
        { segment: 1, nps: interval(-90, 25, 10), csat: interval(80, 20, 10) },
        { segment: 2, nps: interval(10, 15, 60), csat: interval(82, 8, 60) },
      ],
      growing_terms: [], recent_comments: [],
    },
    segments: null, drift: null, model: null, out_of_scope: null, unnamed_needs: [], timeline: [],
    privacy: { min_group: 10, withheld: [] },
    ...over,
  } as ReportData;
}

describe('signals ranked by evidence', () => {
  it('a segment\'s NPS far below the rest leads, with its interval and n; a small group is flagged and kept out of headlines', () => {
    const signals = strongestSignals(data());
    const [lead] = headlines(signals);
    expect(lead).toMatchObject({ kind: 'segment_nps', n: 33, few: false });
    expect(lead.en).toBe('Enterprise sheets users\' NPS is -58 (95 % interval -78 to -38, n 33), 79 points below the other users\' 21.');
    const tiny = signals.find((s) => s.n === 10)!;
    expect(tiny.few).toBe(true);
    expect(tiny.en).toContain('few answers: read with care');
    expect(headlines(signals).map((s) => s.n)).not.toContain(10);
    expect(headlines(signals).every((s) => s.n >= FEW)).toBe(true);
    // Sorted by |effect / standard error|.
    const z = signals.map((s) => Math.abs(s.z));
    expect(z).toEqual([...z].sort((a, b) => b - a));
  });

  it('a difference within the noise is no signal at all', () => {
    const quiet = data();
    quiet.needs!.by_segment = [{ segment: 2, nps: interval(10, 15, 60), csat: interval(82, 8, 60) }];
    expect(strongestSignals(quiet).filter((s) => s.kind === 'segment_nps')).toEqual([]);
  });

  it('the share of requests of no known need, last 7 days against the weeks before, with both counts', () => {
    const days = [
      ...Array.from({ length: 21 }, (_, i) => ({ date: `2026-09-${String(13 + i).padStart(2, '0')}`, answered: 150, flagged: 9 })),
      ...Array.from({ length: 7 }, (_, i) => ({ date: `2026-10-${String(4 + i).padStart(2, '0')}`, answered: 700, flagged: 130 })),
    ];
    const [s] = strongestSignals(data({ needs: null, out_of_scope: { to: '2026-10-11T00:00:00Z', days, examples: [] } }));
    expect(s).toMatchObject({ kind: 'out_of_scope', movement: true, n: 4900, few: false });
    expect(s.en).toBe('18.6 % of requests in the last 7 days were none of the known needs (910 of 4,900), against 6.0 % in the weeks before (189 of 3,150).');
    expect(s.zh).toContain('不属于任何已知需求');
  });
});
