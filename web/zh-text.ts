/**
 * Chinese for the sentences needloop's analyses write in English — the retraining
 * decision's reasons and notes (analytics/retrain-decision.ts, the pipeline's own), the
 * gate's checks (models/gate.ts) and the drift tests' verdicts (analytics/column-drift.ts)
 * — so that the report's Chinese view says everything in Chinese. Each template is matched
 * whole; figures, ids and quotations of users' text are carried over as written. A
 * sentence no template knows comes back unchanged (the browser test looks for those).
 */

type Rule = [RegExp, (m: RegExpExecArray) => string];

const model = (name: string) => name === 'the model that served the logs' ? '记录日志的模型' : name.replace(/^model (\S+)$/, '模型 $1');
const served = (text: string) => text === 'unversioned requests' ? '未标版本的请求' : text.replace(/^requests served by (\S+)$/, '由 $1 服务的请求');
const set = (name: string) => (name === 'golden-set' ? '黄金集' : '保留集');

/** "N requests corrected to it this week (M a week in the K weeks before)", and its variants. */
function counts(text: string): string {
  const what = (w: string) => (w === 'corrected to it' ? '被更正为该需求' : '被标记为不属于任何已知需求');
  const WHAT = '(corrected to it|marked as none of the known needs)';
  let m = new RegExp(`^(\\d+) requests ${WHAT} this week \\((\\d+) in the weeks before\\)$`).exec(text);
  if (m) return `本周有 ${m[1]} 个请求${what(m[2])}（之前几周共 ${m[3]} 个）`;
  m = new RegExp(`^(\\d+) requests ${WHAT} this week \\((\\d+) a week in the ([\\d.]+) weeks before\\)$`).exec(text);
  if (m) return `本周有 ${m[1]} 个请求${what(m[2])}（之前 ${m[4]} 周每周 ${m[3]} 个）`;
  m = new RegExp(`^(\\d+) requests a week ${WHAT} in the last ([\\d.]+) weeks \\((\\d+) a week in the ([\\d.]+) weeks before\\)$`).exec(text);
  if (m) return `最近 ${m[3]} 周每周有 ${m[1]} 个请求${what(m[2])}（之前 ${m[5]} 周每周 ${m[4]} 个）`;
  return text;
}

const eg = (tail: string | undefined) => (tail === undefined || tail === '' ? '' : `；例如${tail.replace(/^; e\.g\. /, '')}`);
const within = (tail: string | undefined) => (tail === undefined || tail === '' ? '' : tail.replace(/^, ([\d.]+) lower within the needs it predicts$/, '，在它预测的需求之内低 $1'));

const RULES: Rule[] = [
  // The retraining decision (analytics/retrain-decision.ts, activities/pipeline-activities.ts, workflows/pipeline-plan.ts).
  [/^(.+)'s accuracy is not judged: (\d+) labelled (.+?) it never trained on this week and (\d+) before \((\d+) needed on each side\)$/, (m) => `${model(m[1])}的准确率未作判断：本周有 ${m[2]} 个它从未训练过的已标注的${served(m[3])}，之前有 ${m[4]} 个（每边需要 ${m[5]} 个）`],
  [/^(.+)'s accuracy on labelled (.+?) fell from ([\d.]+) \((\d+)\) to ([\d.]+) \((\d+)\): a drop of ([\d.]+) ≥ ([\d.]+), (p [<=] [\d.]+)$/, (m) => `${model(m[1])}在已标注的${served(m[2])}上的准确率从 ${m[3]}（${m[4]}）降至 ${m[5]}（${m[6]}）：下降 ${m[7]} ≥ ${m[8]}，${m[9]}`],
  [/^(.+)'s accuracy on labelled (.+?): ([\d.]+|n\/a) \((\d+)\) against ([\d.]+|n\/a) \((\d+)\) before — no significant drop of ([\d.]+) or more$/, (m) => `${model(m[1])}在已标注的${served(m[2])}上的准确率：${m[3]}（${m[4]}），之前为 ${m[5]}（${m[6]}）——没有 ${m[7]} 或以上的显著下降`],
  [/^(.+)'s recall on "(.+)" fell from ([\d.]+) \((\d+)\) to ([\d.]+) \((\d+)\), (p [<=] [\d.]+) adjusted for (\d+) needs: users ask for it in ways it has not learnt$/, (m) => `${model(m[1])}对“${m[2]}”的召回率从 ${m[3]}（${m[4]}）降至 ${m[5]}（${m[6]}），经 ${m[8]} 个需求校正后 ${m[7]}：用户以它尚未学会的方式提出这一需求`],
  [/^(.+?) calls ([\d.]+ %|n\/a) of this week's requests \((\d+)\) against ([\d.]+ %|n\/a) on its training period \((\d+)\) none of its needs: a rise of ([\d.]+) ≥ ([\d.]+), (p [<=] [\d.]+) — users ask in ways it does not recognise$/, (m) => `${model(m[1])}认为本周 ${m[2]} 的请求（${m[3]}）不属于它的任何需求，在它的训练期为 ${m[4]}（${m[5]}）：上升 ${m[6]} ≥ ${m[7]}，${m[8]}——用户的问法它认不出`],
  [/^(.+?) calls ([\d.]+ %|n\/a) of this week's requests \((\d+)\) against ([\d.]+ %|n\/a) on its training period \((\d+)\) none of its needs, but its accuracy on labelled requests held \(([\d.]+|n\/a) against ([\d.]+|n\/a)\): not news$/, (m) => `${model(m[1])}认为本周 ${m[2]} 的请求（${m[3]}）不属于它的任何需求，在它的训练期为 ${m[4]}（${m[5]}），但它在已标注请求上的准确率保持不变（${m[6]}，之前为 ${m[7]}）：不算新情况`],
  [/^emerging need "(.+?)": (.+), a need (.+?) does not know(; e\.g\. .*)?$/, (m) => `新兴需求“${m[1]}”：${counts(m[2])}，这是${model(m[3])}不认识的需求${eg(m[4])}`],
  [/^(.+ marked as none of the known needs.*?\)): (.+?) has not learnt to tell them apart(; e\.g\. .*)?$/, (m) => `${counts(m[1])}：${model(m[2])}尚未学会区分它们${eg(m[3])}`],
  [/^request texts moved away from (?:what (.+?) was trained on|the reference window) \(Jensen–Shannon ([\d.]+) ≥ ([\d.]+)(?:; new: (.+?))?\) and (.+?) is less sure of them: mean confidence ([\d.]+|n\/a) against ([\d.]+|n\/a) (?:on its training period|before)(, [\d.]+ lower within the needs it predicts)?$/, (m) => `请求文本偏离了${m[1] === undefined ? '参考窗口' : `${model(m[1])}的训练数据`}（Jensen–Shannon ${m[2]} ≥ ${m[3]}${m[4] === undefined ? '' : `；新词：${quoted(m[4])}`}），且${model(m[5])}对它们更不确定：平均置信度 ${m[6]}，之前为 ${m[7]}${within(m[8])}`],
  [/^request texts moved from (.+?)'s training data \(Jensen–Shannon ([\d.]+)\) and it is less sure of them \(mean confidence ([\d.]+|n\/a) against ([\d.]+|n\/a)(, [\d.]+ lower within the needs it predicts)?\), but its accuracy on labelled requests held \(([\d.]+|n\/a) against ([\d.]+|n\/a)\): not news$/, (m) => `请求文本偏离了${model(m[1])}的训练数据（Jensen–Shannon ${m[2]}），它对这些文本更不确定（平均置信度 ${m[3]}，之前为 ${m[4]}${within(m[5])}），但它在已标注请求上的准确率保持不变（${m[6]}，之前为 ${m[7]}）：不算新情况`],
  [/^request texts moved from (.+?)'s training data \(Jensen–Shannon ([\d.]+)\) but it is as sure of them \(mean confidence ([\d.]+|n\/a) against ([\d.]+|n\/a)(, [\d.]+ lower within the needs it predicts)?\): not news$/, (m) => `请求文本偏离了${model(m[1])}的训练数据（Jensen–Shannon ${m[2]}），但它对这些文本同样确定（平均置信度 ${m[3]}，之前为 ${m[4]}${within(m[5])}）：不算新情况`],
  [/^(\S+) drifted among the predictions of (.+?): users ask for other things, no fault of the model's$/, (m) => `${m[1]} 在${model(m[2])}的预测中发生漂移：用户在要求别的东西，不是模型的错`],
  [/^predictions are not compared: no model version served both windows$/, () => '未比较预测：没有一个模型版本同时服务了两个窗口'],
  [/^predictions are compared among requests served by (\S+), the version that served both windows$/, (m) => `只在由 ${m[1]}（同时服务了两个窗口的版本）服务的请求之间比较预测`],
  [/^model (\S+) already awaits approval: no new candidate until it is decided$/, (m) => `模型 ${m[1]} 已在等待批准：在它被决定之前不训练新的候选模型`],
  [/^pipeline run (\S+) is training a candidate: no second one until it is decided$/, (m) => `流水线运行 ${m[1]} 正在训练候选模型：在它被决定之前不训练第二个`],
  [/^there is no production model yet: training the first one$/, () => '还没有生产模型：训练第一个'],
  [/^adopted needs? (.+) (?:is|are) not known to production model (\S+) yet$/, (m) => `已采纳的需求 ${m[1]} 还不为生产模型 ${m[2]} 所知`],
  [/^there are no usage events to learn from$/, () => '没有可供学习的使用事件'],
  // The gate's checks (models/gate.ts), after their PASS / FAIL.
  [/^first model: holdout accuracy ([\d.]+) beats always answering the most common need \(([\d.]+)\), (p [<=] [\d.]+) < ([\d.]+)$/, (m) => `第一个模型：保留集准确率 ${m[1]} 优于总是回答最常见的需求（${m[2]}），${m[3]} < ${m[4]}`],
  [/^first model: (holdout|golden-set) accuracy ([\d.]+) against ([\d.]+) of a (.+?) fitted on the same examples in this run: significantly worse \((p [<=] [\d.]+)\); a first model must at least match it — more labelled feedback, or more epochs$/, (m) => `第一个模型：${set(m[1])}准确率 ${m[2]}，本次运行中用相同样本拟合的基线（${m[4]}）为 ${m[3]}：显著更差（${m[5]}）；第一个模型至少要与它持平——需要更多标注反馈或更多训练轮次`],
  [/^first model: (holdout|golden-set) accuracy ([\d.]+) against ([\d.]+) of a (.+?) fitted on the same examples in this run: not significantly worse \((p [<=] [\d.]+)\)$/, (m) => `第一个模型：${set(m[1])}准确率 ${m[2]}，本次运行中用相同样本拟合的基线（${m[4]}）为 ${m[3]}：没有显著更差（${m[5]}）`],
  [/^fairness: (\S+?)=(.+) \((\d+) requests\), among the worst-served groups, is significantly worse under the candidate: accuracy ([\d.]+) against production's ([\d.]+) \((p [<=] [\d.]+)\)$/, (m) => `公平性：${m[1]}=${m[2]}（${m[3]} 个请求）是服务最差的群体之一，在候选模型下显著更差：准确率 ${m[4]}，生产模型为 ${m[5]}（${m[6]}）`],
  [/^fairness: the accuracy gap between (\S+?)=(.+) and (\S+?)=(.+) widens from ([\d.-]+) to ([\d.-]+), significantly more than ([\d.]+) \(95 % lower bound ([\d.-]+)\)$/, (m) => `公平性：${m[1]}=${m[2]} 与 ${m[3]}=${m[4]} 之间的准确率差距从 ${m[5]} 扩大到 ${m[6]}，显著超过 ${m[7]}（95 % 下界 ${m[8]}）`],
  [/^fairness: no attribute of users has two groups of ≥ (\d+) users and ≥ (\d+) requests to compare$/, (m) => `公平性：没有任何用户属性有两个可比较的群体（各 ≥ ${m[1]} 位用户、≥ ${m[2]} 个请求）`],
  [/^fairness: no worst-served group of users is significantly worse under the candidate, and no gap between groups widens by more than ([\d.]+) \((\d+) groups judged\)$/, (m) => `公平性：没有服务最差的用户群体在候选模型下显著更差，群体间差距扩大也都不超过 ${m[1]}（判断了 ${m[2]} 个群体）`],
  [/^the holdout has no labelled examples: nothing to judge the candidate on$/, () => '保留集中没有标注样本：无法评判候选模型'],
  [/^(significantly better|nothing to gain: not significantly better than production —|significantly worse than production:) holdout accuracy ([\d.]+) against production's ([\d.]+) on the same (\d+) requests \(candidate alone right on (\d+), production alone on (\d+); McNemar (p [<=] [\d.]+)\)$/, (m) => `${{ 'significantly better': '显著更好：', 'nothing to gain: not significantly better than production —': '没有提升：并不显著优于生产模型——', 'significantly worse than production:': '显著差于生产模型：' }[m[1]]}在相同的 ${m[4]} 个请求上，保留集准确率 ${m[2]}，生产模型为 ${m[3]}（只有候选模型答对 ${m[5]} 个，只有生产模型答对 ${m[6]} 个；McNemar ${m[7]}）`],
  [/^learns (.+), which production lacks, with no significant regression on the needs production knows \((\d+) worse, (\d+) better there; (p [<=] [\d.]+)\)$/, (m) => `学会了生产模型缺少的 ${m[1]}，在生产模型已知的需求上没有显著退步（${m[2]} 个更差，${m[3]} 个更好；${m[4]}）`],
  [/^learns (.+) but is significantly worse on the needs production knows \((\d+) worse, (\d+) better; (p [<=] [\d.]+)\)$/, (m) => `学会了 ${m[1]}，但在生产模型已知的需求上显著更差（${m[2]} 个更差，${m[3]} 个更好；${m[4]}）`],
  [/^slice (.+) \((\d+) examples\): accuracy ([\d.-]+) below production's, significantly \((p [<=] [\d.]+); at most ([\d.]+)\)$/, (m) => `切片 ${m[1]}（${m[2]} 个样本）：准确率比生产模型低 ${m[3]}，且显著（${m[4]}；最多允许 ${m[5]}）`],
  [/^no slice with ≥ (\d+) examples is significantly worse than production's by more than ([\d.]+) accuracy \((\d+) slices\)$/, (m) => `没有样本数 ≥ ${m[1]} 的切片在准确率上显著比生产模型差超过 ${m[2]}（${m[3]} 个切片）`],
  [/^golden-set accuracy ([\d.]+|n\/a) against production's ([\d.]+|n\/a): (significantly|not significantly) worse by more than ([\d.]+) \((p [<=] [\d.]+)\)$/, (m) => `黄金集准确率 ${m[1]}，生产模型为 ${m[2]}：${m[3] === 'significantly' ? '显著' : '没有显著'}差超过 ${m[4]}（${m[5]}）`],
  [/^p95 latency ([\d.]+) ms is ([\d.]+)× production's ([\d.]+) ms \(at most ([\d.]+)×, or within ([\d.]+) ms\)$/, (m) => `p95 延迟 ${m[1]} 毫秒，是生产模型 ${m[3]} 毫秒的 ${m[2]} 倍（最多 ${m[4]} 倍，或相差不超过 ${m[5]} 毫秒）`],
  // Drift tests' verdicts (analytics/column-drift.ts, analytics/dataset-drift.ts).
  [/^(.+); drifted in (\d+) consecutive windows$/, (m) => `${zhSentence(m[1])}；连续 ${m[2]} 个窗口漂移`],
  [/^(.+), but only (\d+) of the (\d+) consecutive windows the persistence rule needs$/, (m) => `${zhSentence(m[1])}，但持续性规则要求的 ${m[3]} 个连续窗口中只有 ${m[2]} 个漂移`],
  [/^(\S+) cannot be computed for this column$/, (m) => `此列无法计算 ${m[1]}`],
  [/^(KS|chi-square) p = (\S+) ([<≥]) (\S+) \((?:default for ([≤>]) (\d+) reference rows|configured)\)$/, (m) => `${m[1] === 'KS' ? 'KS' : '卡方'} p = ${m[2]} ${m[3]} ${m[4]}（${m[5] === undefined ? '已配置' : `参考行数 ${m[5]} ${m[6]} 时的默认方法`}）`],
  [/^(Wasserstein \/ reference sd|Jensen–Shannon distance|PSI) = (\S+) ([<≥]) (\S+) \((?:default for ([≤>]) (\d+) reference rows|configured)\)$/, (m) => `${{ 'Wasserstein / reference sd': 'Wasserstein ÷ 参考标准差', 'Jensen–Shannon distance': 'Jensen–Shannon 距离', PSI: 'PSI' }[m[1]]} = ${m[2]} ${m[3]} ${m[4]}（${m[5] === undefined ? '已配置' : `参考行数 ${m[5]} ${m[6]} 时的默认方法`}）`],
  [/^no current values$/, () => '当前窗口没有值'],
  [/^no reference values, (\d+) current ones: the column appeared$/, (m) => `参考窗口没有值，当前有 ${m[1]} 个：此列是新出现的`],
  [/^the reference is constant and the current values differ \(Wasserstein = (\S+)\)$/, (m) => `参考值恒定，而当前值不同（Wasserstein = ${m[1]}）`],
];

/** One generated sentence in Chinese; unchanged when no template knows it. */
/** Users' words listed in a sentence ("put, free, hands"), quoted one by one: they stay as users wrote them. */
const quoted = (list: string) => list.split(', ').map((w) => `“${w}”`).join('、');

export function zhSentence(text: string): string {
  const check = /^(PASS|FAIL) (.*)$/s.exec(text);
  if (check !== null) return `${check[1] === 'PASS' ? '通过' : '未通过'} ${zhSentence(check[2])}`;
  for (const [pattern, write] of RULES) {
    const m = pattern.exec(text);
    if (m !== null) return write(m);
  }
  return text;
}

/** Several sentences joined by "; " (as the summary joins reasons): each in Chinese, joined by "；". */
export function zhSentences(texts: readonly string[]): string {
  return texts.map(zhSentence).join('；');
}
