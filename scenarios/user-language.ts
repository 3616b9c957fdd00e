/**
 * How real users write: the request templates filled in, then roughened the way people
 * type — typos, abbreviations, fillers, English words inside Chinese requests, and
 * requests that could mean either of two needs. Deterministic for the generator's Random.
 */
import type { Random } from '../analytics/seeded-random.js';
import { PHRASINGS, SLOTS } from './request-templates.js';

/**
 * Requests that honestly mean either of two needs: which one the user wanted is known
 * only to them (and to the scenario's truth), so no model can get all of them right.
 */
export const AMBIGUOUS: readonly { needs: readonly [string, string]; en: readonly string[]; zh: readonly string[] }[] = [
  { needs: ['summarize_documents', 'meeting_notes'], en: ['summarize the {meeting}', 'recap of the {meeting} transcript', 'short version of the {meeting} notes'], zh: ['总结一下{meetingZh}', '{meetingZh}记录压缩一下'] },
  { needs: ['draft_email', 'translate_text'], en: ['write this email to {person} in {lang}', 'reply to {person} in {lang}'], zh: ['用{langZh}给{personZh}写邮件', '用{langZh}回复{personZh}'] },
  { needs: ['analyze_data', 'search_knowledge'], en: ['find the numbers on {topic}', 'where is the {data}'], zh: ['找一下{topicZh}的数据', '{dataZh}在哪里'] },
  { needs: ['code_help', 'analyze_data'], en: ['write a SQL query over the {data}', 'script to clean the {data}'], zh: ['写个 SQL 查{dataZh}', '写脚本清洗{dataZh}'] },
  { needs: ['lower_cost', 'energy_efficiency'], en: ['use a smaller model to save', 'cheaper and lighter mode please'], zh: ['用小模型省一点', '换个省钱省电的模式'] },
  { needs: ['privacy_control', 'trust_answers'], en: ['where does my data go and who sees it', 'can I trust what happens to my chats'], zh: ['我的数据去哪了谁能看', '我的对话安全可信吗'] },
];

export const AMBIGUOUS_SHARE = 0.1;
const TYPO_SHARE = 0.2;
const ABBREVIATION_SHARE = 0.2;
const FILLER_SHARE = 0.2;
const CODE_SWITCH_SHARE = 0.3;

const ABBREVIATIONS: Record<string, string> = {
  please: 'pls', you: 'u', your: 'ur', message: 'msg', document: 'doc', meeting: 'mtg', for: '4', to: '2',
  with: 'w/', about: 'abt', because: 'cuz', summary: 'summ', information: 'info', tomorrow: 'tmrw', thanks: 'thx',
};
const FILLERS = {
  en: { before: ['hey, ', 'quick one: ', 'hi! ', 'um ', 'ok so ', 'can u '], after: [' thanks', ' pls', '?', '!!', ' asap', ' thx'] },
  zh: { before: ['你好，', '麻烦', '请', '帮忙', '那个，'], after: ['，谢谢', '吧', '？', '哈', '，急'] },
} as const;

/** Fills `{slot}`s; in a Chinese template an English word stands in now and then. */
function fill(rng: Random, template: string, codeSwitch: boolean): string {
  return template.replace(/\{(\w+)\}/g, (_, slot: string) => {
    const values = SLOTS[slot];
    const i = rng.int(values.length);
    const english = slot.endsWith('Zh') ? SLOTS[slot.slice(0, -2)] : undefined;
    // The English and Chinese slot lists are aligned: the same thing, another language.
    return codeSwitch && english !== undefined && rng.chance(0.5) ? english[i % english.length] : values[i];
  });
}

/** One typo in one longer word: a dropped, doubled or swapped letter. */
function typo(rng: Random, text: string): string {
  const words = text.split(' ');
  const candidates = words.map((w, i) => [w, i] as const).filter(([w]) => /^[a-z]{4,}$/i.test(w));
  if (candidates.length === 0) return text;
  const [word, index] = rng.pick(candidates);
  const at = 1 + rng.int(word.length - 2);
  const kind = rng.int(3);
  words[index] = kind === 0 ? word.slice(0, at) + word.slice(at + 1) : kind === 1 ? word.slice(0, at) + word[at] + word.slice(at) : word.slice(0, at) + word[at + 1] + word[at] + word.slice(at + 2);
  return words.join(' ');
}

function abbreviate(text: string): string {
  return text.replace(/\b[a-z]+\b/gi, (w) => ABBREVIATIONS[w.toLowerCase()] ?? w);
}

export interface WrittenRequest {
  text: string;
  /** Written from an ambiguous template shared with another need. */
  ambiguous: boolean;
}

/**
 * A request for `intent` as a user types it. `shifted` draws from the vocabulary-shift
 * phrasings (words the legacy model never saw).
 */
export function writeRequest(rng: Random, intent: string, options: { zh: boolean; shifted: boolean }): WrittenRequest {
  const { zh, shifted } = options;
  const pair = AMBIGUOUS.find((a) => a.needs.includes(intent));
  const ambiguous = !shifted && pair !== undefined && rng.chance(AMBIGUOUS_SHARE);
  const phrasings = PHRASINGS[intent];
  const templates = ambiguous ? (zh ? pair!.zh : pair!.en) : shifted ? (zh ? phrasings.shiftedZh : phrasings.shiftedEn) : zh ? phrasings.zh : phrasings.en;
  let text = fill(rng, rng.pick(templates), zh && rng.chance(CODE_SWITCH_SHARE));
  const lang = zh ? 'zh' : 'en';
  if (!zh && rng.chance(ABBREVIATION_SHARE)) text = abbreviate(text);
  if (!zh && rng.chance(TYPO_SHARE)) text = typo(rng, text);
  if (zh && rng.chance(TYPO_SHARE / 2)) {
    const chars = [...text];
    chars.splice(1 + rng.int(Math.max(1, chars.length - 1)), 1);
    text = chars.join('');
  }
  if (rng.chance(FILLER_SHARE)) text = rng.chance(0.5) ? rng.pick(FILLERS[lang].before) + text : text + rng.pick(FILLERS[lang].after);
  if (!zh && rng.chance(0.3)) text = text.toLowerCase();
  return { text, ambiguous };
}

/**
 * Requests for the unnamed-need scenario's need (cancelling a subscription), which no
 * catalogue has: varied phrasings that share the need's words, as real requests of one need do.
 */
const UNNAMED_PHRASINGS = {
  en: ['cancel my {plan} subscription', 'how do I cancel the {plan} subscription', 'please cancel my subscription, the {plan} one', 'I want to cancel my subscription and get a refund',
    'cancel {plan} subscription before it renews', 'can you cancel my subscription to {plan}', 'need to cancel subscription asap', 'where do i cancel my subscription'],
  zh: ['取消我的{plan}订阅', '怎么取消{plan}订阅', '请帮我取消订阅，{plan}那个', '我要取消订阅并退款', '在续费前取消{plan}订阅', '能取消我的{plan}订阅吗', '马上取消订阅', '在哪里取消订阅'],
  plans: { en: ['pro', 'team', 'annual', 'monthly', 'premium'], zh: ['专业版', '团队版', '年度', '月度', '高级版'] },
};

export function writeUnnamedRequest(rng: Random, zh: boolean): WrittenRequest {
  const lang = zh ? 'zh' : 'en';
  let text = rng.pick(UNNAMED_PHRASINGS[lang]).replace('{plan}', rng.pick(UNNAMED_PHRASINGS.plans[lang]));
  if (!zh && rng.chance(TYPO_SHARE)) text = typo(rng, text);
  if (rng.chance(FILLER_SHARE)) text = rng.chance(0.5) ? rng.pick(FILLERS[lang].before) + text : text + rng.pick(FILLERS[lang].after);
  return { text, ambiguous: false };
}
