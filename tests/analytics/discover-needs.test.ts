/**
 * Discovery of needs nobody has named (issue 16), on the generator's user language (typos,
 * abbreviations, code-switching, ambiguous requests): requests of the known needs that the
 * model was unsure of are the background; a need the catalogue lacks is planted, in
 * English or in Chinese, phrased as users of one need phrase it — varied, sharing its words.
 */
import { describe, expect, it } from 'vitest';
import { discoverCandidates } from '../../analytics/discover-needs.js';
import { Random } from '../../analytics/seeded-random.js';
import { PHRASINGS } from '../../scenarios/request-templates.js';
import { writeRequest } from '../../scenarios/user-language.js';

const PLANTED = {
  en: ['cancel my {p} subscription', 'how do I cancel the {p} subscription', 'please cancel my subscription, the {p} one', 'I want to cancel my subscription and get a refund', 'cancel {p} subscription before it renews', 'can you cancel my subscription to {p}', 'need to cancel subscription asap'],
  zh: ['取消我的{p}订阅', '怎么取消{p}订阅', '请帮我取消订阅，{p}那个', '我要取消订阅并退款', '在续费前取消{p}订阅', '能取消我的{p}订阅吗', '马上取消订阅'],
};
const PLANS = { en: ['pro', 'team', 'annual', 'monthly', 'premium'], zh: ['专业版', '团队版', '年度', '月度', '高级版'] };

function traffic(seed: string, planted: 'en' | 'zh' | null) {
  const rng = new Random(seed);
  const intents = Object.keys(PHRASINGS);
  const pool: { text: string; planted: boolean }[] = [];
  for (let i = 0; i < 1500; i++) pool.push({ text: writeRequest(rng, rng.pick(intents), { zh: rng.chance(0.4), shifted: false }).text, planted: false });
  if (planted !== null) for (let i = 0; i < 80; i++) pool.push({ text: rng.pick(PLANTED[planted]).replace('{p}', rng.pick(PLANS[planted])), planted: true });
  const known = intents.flatMap((intent) => Array.from({ length: 150 }, () => ({ intent, text: writeRequest(rng, intent, { zh: rng.chance(0.4), shifted: false }).text })));
  const previous = Array.from({ length: 1500 }, () => writeRequest(rng, rng.pick(intents), { zh: rng.chance(0.4), shifted: false }).text);
  return { pool, known, previous };
}

describe('discoverCandidates', () => {
  for (const language of ['en', 'zh'] as const) {
    it(`recovers a planted unlabelled need in ${language === 'en' ? 'English' : 'Chinese'} with purity ≥ 0.8 and recall ≥ 0.7, over several seeds`, () => {
      for (const seed of ['1', '2', '3']) {
        const { pool, known, previous } = traffic(`${language}-${seed}`, language);
        const found = discoverCandidates(pool.map((p) => p.text), known, previous);
        const best = found.clusters.map((c) => ({ c, hits: c.members.filter((m) => pool[m].planted).length })).sort((a, b) => b.hits - a.hits)[0];
        expect(best, `seed ${seed}: no cluster`).toBeDefined();
        const purity = best.hits / best.c.members.length;
        const recall = best.hits / pool.filter((p) => p.planted).length;
        expect(purity, `seed ${seed}`).toBeGreaterThanOrEqual(0.8);
        expect(recall, `seed ${seed}`).toBeGreaterThanOrEqual(0.7);
        expect(best.c.label.slice(0, 2).sort()).toEqual(language === 'en' ? ['cancel', 'subscription'] : ['取消', '订阅']);
        // It was not there the week before.
        expect(best.c.previous).toBeLessThan(5);
      }
    });
  }

  it('finds nothing in stable traffic: requests of known needs the model was unsure of are not a new need', () => {
    for (const seed of ['1', '2', '3', '4']) {
      const { pool, known, previous } = traffic(`stable-${seed}`, null);
      const found = discoverCandidates(pool.map((p) => p.text), known, previous);
      expect(found.clusters.filter((c) => c.members.length >= 30), `seed ${seed}: ${found.clusters.map((c) => c.label.join(' ')).join('; ')}`).toEqual([]);
      expect(found.likeKnown).toBeGreaterThan(pool.length * 0.7);
    }
  });
});
