// Draws the report's charts from the embedded JSON with d3. Every text from users or
// files goes through textContent / d3's .text(), never innerHTML.
/* global d3 */
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('report-data').textContent);
  let lang = 'en';
  const label = (need) => (data.labels[need] ? data.labels[need][lang] : need);
  /** A segment's persona name in the page's language. */
  const segName = (id, name) => (lang === 'zh' && data.segment_names_zh && data.segment_names_zh[id] ? data.segment_names_zh[id] : name);
  // Chart words in Chinese; English is the key itself.
  const ZH = {
    'Opportunity map': '机会地图', 'Satisfaction (top-two-box, 0–10)': '满意度（前两项占比，0–10）', 'Importance (top-two-box, 0–10)': '重要性（前两项占比，0–10）',
    'underserved: opportunity above 10': '未被满足：机会值高于 10', 'Week (Monday)': '周（周一）', 'NPS per week, with 95% intervals': '每周 NPS（含 95% 区间）',
    'CSAT per week, with 95% intervals': '每周 CSAT（含 95% 区间）', 'NPS (−100 to 100)': 'NPS（−100 至 100）', 'CSAT (% satisfied)': 'CSAT（满意百分比）',
    'Users per segment (persona)': '各细分群体用户数', 'Training curve': '训练曲线', Epoch: '轮次', 'Cross-entropy loss (log scale)': '交叉熵损失（对数刻度）',
    'training loss': '训练损失', 'validation loss': '验证损失', 'Reliability on the holdout (calibrated confidence)': '保留集上的可靠性（校准后置信度）',
    'Mean confidence in the bin': '区间内平均置信度', 'Share right': '正确比例', 'Night': '夜', 'Day (UTC)': '日期（UTC）', 'Share out of scope': '超出范围的比例',
    'Share of requests that were none of the known needs, per day': '每天不属于任何已知需求的请求比例', 'What users got each day, and what the loop did each night': '用户每天得到的结果与闭环每晚的动作',
    'Candidate confusion matrix (rows: true intent, columns: predicted)': '候选模型混淆矩阵（行：真实需求，列：预测）', need: '需求', opportunity: '机会值', importance: '重要性',
    satisfaction: '满意度', answers: '回答数', 'Ranked by opportunity': '按机会值排序', 'few answers (fewer than 30): read with care': '回答较少（少于 30）：谨慎解读',
    'Must-be': '必备型', 'One-dimensional': '期望型', Attractive: '魅力型', Indifferent: '无差异型', Reverse: '反向型', Questionable: '可疑',
    'Kano categories (what users expect, want, or do not care about)': 'Kano 分类（用户期望、想要或不在乎的）', slice: '切片', 'candidate accuracy': '候选模型准确率',
    "production's accuracy": '生产模型准确率', candidate: '候选模型', production: '生产模型', 'accuracy on all requests': '全部请求的准确率',
    'accuracy on labelled requests': '已标注请求的准确率', change: '变化', examples: '样本数', 'Holdout accuracy per slice': '各切片的保留集准确率', 'All users': '全部用户',
  };
  const tr = (text) => (lang === 'zh' && ZH[text] ? ZH[text] : text);
  const fmt = (x, digits = 2) => (x === null || x === undefined ? '–' : Number(x).toFixed(digits));
  const el = (parent, tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    parent.appendChild(e);
    return e;
  };
  const clear = (id) => {
    const node = document.getElementById(id);
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  };
  const empty = (id, text) => el(clear(id), 'p', text, 'empty');
  /** Dates on axes in the page's language ("Nov 20", "11月20日"). */
  const dayFormat = () => d3.utcFormat(lang === 'zh' ? '%-m月%-d日' : '%b %d');

  /** An svg with margins, x and y axes and their titles. */
  function frame(id, { width = 420, height = 300, title, x, y, xTitle, yTitle, xBand = false, right = 16, xTicks = null, yTicks = null }) {
    // Band axes get their labels rotated: they need room below the axis.
    const m = { top: 24, right, bottom: xBand ? 110 : 44, left: 56 };
    const svg = d3.select(clear(id)).append('svg').attr('width', width).attr('height', height).attr('role', 'img').attr('aria-label', tr(title));
    svg.append('text').attr('class', 'chart-title').attr('x', m.left).attr('y', 14).text(tr(title));
    x.range([m.left, width - m.right]);
    y.range([height - m.bottom, m.top]);
    const xAxis = svg.append('g').attr('transform', `translate(0,${height - m.bottom})`).call(xTicks ? xTicks(d3.axisBottom(x)) : d3.axisBottom(x).ticks(6));
    if (xBand) xAxis.selectAll('text').attr('transform', 'rotate(-30)').style('text-anchor', 'end');
    svg.append('g').attr('transform', `translate(${m.left},0)`).call(yTicks ? yTicks(d3.axisLeft(y)) : d3.axisLeft(y).ticks(6));
    svg.append('text').attr('class', 'axis-title').attr('x', (m.left + width - m.right) / 2).attr('y', height - 4).attr('text-anchor', 'middle').text(tr(xTitle));
    svg.append('text').attr('class', 'axis-title').attr('transform', `translate(12,${(m.top + height - m.bottom) / 2}) rotate(-90)`).attr('text-anchor', 'middle').text(tr(yTitle));
    return svg;
  }

  /** A legend in the chart's right margin, beside the plot (never over its data); the svg widens to hold it. */
  function legend(svg, plotRight, y, items) {
    const g = svg.append('g').attr('class', 'legend');
    items.forEach(([name, color], i) => {
      g.append('rect').attr('x', 0).attr('y', i * 18).attr('width', 10).attr('height', 10).attr('fill', color);
      g.append('text').attr('x', 14).attr('y', i * 18 + 10).text(tr(name));
    });
    const x = plotRight + 12;
    g.attr('transform', `translate(${x},${y})`);
    const w = g.node().getBBox().width;
    svg.attr('width', Math.max(Number(svg.attr('width')), Math.ceil(x + w + 4)));
  }

  // ---- needs -------------------------------------------------------------------------
  let segment = 'all';
  function needRows() {
    return data.needs.rows.filter((r) => (segment === 'all' ? r.segment === null : r.segment === Number(segment)));
  }

  /** Boxes overlap (with a margin)? */
  const overlaps = (a, b, pad = 1) => a.x < b.x + b.w + pad && b.x < a.x + a.w + pad && a.y < b.y + b.h + pad && b.y < a.y + a.h + pad;

  /** How far a label may sit from its mark (px, edge to edge); beyond a few px a leader line joins them. */
  const LEADER_MAX = 60;
  /**
   * Places each point's label where it overlaps no other label, no other point and stays
   * inside the plot: candidate spots around the point, nearest first, out to LEADER_MAX; a
   * label set off its mark gets a leader line. A point whose name finds no room is left
   * unlabelled on the chart (the ranked table beside it names every point).
   */
  function placeLabels(svg, points, bounds, avoid = []) {
    const placed = [];
    const dots = points.map((p) => ({ x: p.x - p.r, y: p.y - p.r, w: 2 * p.r, h: 2 * p.r }));
    const measure = svg.append('text').attr('class', 'need-label').attr('visibility', 'hidden');
    const sizeOf = (text) => { measure.text(text); const b = measure.node().getBBox(); return { w: b.width, h: b.height }; };
    const spots = [];
    for (const d of [3, 8, 14, 22, 32, 44, LEADER_MAX - 4]) for (const [dx, dy] of [[1, 0], [-1, 0], [0, -1], [0, 1], [1, -1], [-1, -1], [1, 1], [-1, 1]]) spots.push([dx, dy, d]);
    for (const p of points) {
      const { w, h } = sizeOf(p.text);
      let found = null;
      for (const [dx, dy, d] of spots) {
        if ((dx !== 0 && dy !== 0 ? d * Math.SQRT2 : d) > LEADER_MAX - 6) continue;
        const x = dx > 0 ? p.x + p.r + d : dx < 0 ? p.x - p.r - d - w : p.x - w / 2;
        const y = dy > 0 ? p.y + p.r + d : dy < 0 ? p.y - p.r - d - h : p.y - h / 2;
        const box = { x, y, w, h };
        if (x < bounds.x0 || x + w > bounds.x1 || y < bounds.y0 || y + h > bounds.y1) continue;
        if (placed.some((q) => overlaps(q.box, box)) || dots.some((q) => overlaps(q, box, 0)) || avoid.some((q) => overlaps(q, box))) continue;
        found = { box, text: p.text, gap: d };
        break;
      }
      if (found) placed.push({ ...found, p });
    }
    measure.remove();
    return placed;
  }

  /** The point of a box nearest to (x, y). */
  const nearest = (box, x, y) => [Math.max(box.x, Math.min(x, box.x + box.w)), Math.max(box.y, Math.min(y, box.y + box.h))];

  const FEW = 30;
  function drawOpportunity() {
    const rows = needRows().filter((r) => r.importance !== null && r.satisfaction !== null).sort((a, b) => (b.opportunity ?? 0) - (a.opportunity ?? 0));
    const width = 520;
    const height = 380;
    // Half a point of room around 0–10: a mark at an edge is drawn whole.
    const x = d3.scaleLinear().domain([-0.5, 10.5]);
    const y = d3.scaleLinear().domain([-0.5, 10.5]);
    const svg = frame('opportunity-map', { width, height, title: 'Opportunity map', x, y, xTitle: 'Satisfaction (top-two-box, 0–10)', yTitle: 'Importance (top-two-box, 0–10)' });
    // Opportunity = importance + max(importance − satisfaction, 0) = 10: above it, underserved.
    svg.append('path').attr('d', d3.line()([[x(0), y(5)], [x(10), y(10)]])).attr('stroke', '#cf222e').attr('stroke-dasharray', '4 3').attr('fill', 'none');
    const maxN = d3.max(rows, (r) => r.n) || 1;
    const radius = d3.scaleSqrt().domain([0, maxN]).range([3, 10]);
    const points = rows.map((r, i) => ({ r: radius(r.n), x: x(r.satisfaction), y: y(r.importance), rank: i + 1, text: `${i + 1}. ${label(r.need)}`, row: r }));
    // Underserved: red and a diamond; small groups grey: neither is colour alone.
    const mark = svg.append('g').selectAll('path').data(points).join('path').attr('class', (p) => `mark-need${p.row.opportunity > 10 ? ' underserved' : ''}`).attr('data-rank', (p) => p.rank)
      .attr('d', (p) => d3.symbol(p.row.opportunity > 10 ? d3.symbolDiamond : d3.symbolCircle, Math.PI * p.r * p.r)())
      .attr('transform', (p) => `translate(${p.x},${p.y})`)
      .attr('fill', (p) => (p.row.n < FEW ? '#8c959f' : p.row.opportunity > 10 ? '#cf222e' : '#0969da')).attr('fill-opacity', 0.75).attr('tabindex', 0);
    mark.append('title').text((p) => `${label(p.row.need)}: importance ${fmt(p.row.importance, 1)}, satisfaction ${fmt(p.row.satisfaction, 1)}, opportunity ${fmt(p.row.opportunity, 1)} (n=${p.row.n})`);
    const bounds = { x0: 58, x1: width - 4, y0: 26, y1: height - 46 };
    const under = svg.append('text').attr('class', 'chart-note').attr('fill', '#cf222e').text(`◆ ${tr('underserved: opportunity above 10')}`);
    const ub = under.node().getBBox();
    under.attr('x', bounds.x0 + 4).attr('y', bounds.y0 + ub.height);
    const noteBox = { x: bounds.x0 + 4, y: bounds.y0, w: ub.width, h: ub.height + 4 };
    const placed = placeLabels(svg, points, bounds, [noteBox]);
    svg.append('g').selectAll('line').data(placed.filter((q) => q.gap > 6)).join('line').attr('class', 'leader')
      .each(function (q) { const [x2, y2] = nearest(q.box, q.p.x, q.p.y); d3.select(this).attr('x1', q.p.x).attr('y1', q.p.y).attr('x2', x2).attr('y2', y2); });
    svg.append('g').selectAll('text').data(placed).join('text').attr('class', 'need-label').attr('data-rank', (q) => q.p.rank).attr('x', (q) => q.box.x).attr('y', (q) => q.box.y + q.box.h * 0.8).text((q) => q.text);
    // The ranked table beside: every fact of the chart in text.
    const box = clear('opportunity-table');
    const table = el(box, 'table', undefined, 'fairness opportunity');
    el(table, 'caption', tr('Ranked by opportunity'));
    const head = el(el(table, 'thead'), 'tr');
    ['#', 'need', 'opportunity', 'importance', 'satisfaction', 'answers'].forEach((h) => el(head, 'th', tr(h)));
    const body = el(table, 'tbody');
    points.forEach((p) => {
      const tr0 = el(body, 'tr', undefined, p.row.n < FEW ? 'few' : p.row.opportunity > 10 ? 'worst' : '');
      [String(p.rank), `${label(p.row.need)}${p.row.opportunity > 10 ? ' ◆' : ''}`, fmt(p.row.opportunity, 1), fmt(p.row.importance, 1), fmt(p.row.satisfaction, 1), String(p.row.n)].forEach((c) => el(tr0, 'td', c));
    });
    if (points.some((p) => p.row.n < FEW)) el(box, 'p', `${tr('few answers (fewer than 30): read with care')} (grey)`, 'ci');
  }

  const KANO = ['Must-be', 'One-dimensional', 'Attractive', 'Indifferent', 'Reverse', 'Questionable'];
  const KANO_WORDS = {
    'Must-be': 'users expect it; its absence angers them', 'One-dimensional': 'the better it is, the happier users are',
    Attractive: 'delights when present, not missed when absent', Indifferent: 'users do not care either way', Reverse: 'some users would rather not have it', Questionable: 'answers contradict each other',
  };
  const KANO_WORDS_ZH = {
    'Must-be': '用户视为理所当然；缺失会令其不满', 'One-dimensional': '做得越好，用户越满意', Attractive: '具备时令人惊喜，缺失时不被在意',
    Indifferent: '用户不在乎有无', Reverse: '部分用户宁愿没有', Questionable: '回答互相矛盾',
  };
  function drawKano() {
    const rows = needRows().filter((r) => r.kano.category !== null);
    const box = clear('kano-chart');
    el(box, 'h3', tr('Kano categories (what users expect, want, or do not care about)'));
    if (rows.length === 0) return el(box, 'p', lang === 'zh' ? '窗口内没有 Kano 回答。' : 'No Kano answers in the window.', 'empty');
    const norm = (c) => ({ M: 'Must-be', O: 'One-dimensional', A: 'Attractive', I: 'Indifferent', R: 'Reverse', Q: 'Questionable' })[c] || c;
    const grid = el(box, 'div', undefined, 'kano-lists');
    KANO.forEach((cat) => {
      const members = rows.filter((r) => norm(r.kano.category) === cat);
      if (members.length === 0 && (cat === 'Reverse' || cat === 'Questionable')) return;
      const col = el(grid, 'div', undefined, 'kano-list');
      col.dataset.category = cat;
      el(col, 'h4', tr(cat));
      el(col, 'p', lang === 'zh' ? KANO_WORDS_ZH[cat] : KANO_WORDS[cat], 'ci');
      const list = el(col, 'ul');
      if (members.length === 0) el(list, 'li', '–', 'empty');
      members.forEach((r) => el(list, 'li', lang === 'zh' ? `${label(r.need)}（满意系数 ${fmt(r.kano.better)}，不满系数 ${fmt(r.kano.worse)}，n ${r.n}）` : `${label(r.need)} (better ${fmt(r.kano.better)}, worse ${fmt(r.kano.worse)}, n ${r.n})`, 'mark-kano'));
    });
  }

  function drawExperience(id, key, title, unit, domain) {
    const weeks = data.needs.experience.filter((w) => w[key].value !== null);
    if (weeks.length === 0) return empty(id, lang === 'zh' ? `窗口内没有 ${title} 回答。` : `No ${title} answers in the window.`);
    const parse = d3.utcParse('%Y-%m-%d');
    // Half a week of room on each side: the first week's tick does not sit on the y axis's labels.
    const [first, last] = d3.extent(weeks, (w) => parse(w.week));
    const x = d3.scaleUtc().domain([d3.utcDay.offset(first, -3), d3.utcDay.offset(last, 3)]);
    // Ticks on the data's own weeks (Mondays), at most six of them.
    const every = Math.ceil(weeks.length / 6);
    const ticks = weeks.filter((_, i) => i % every === 0).map((w) => parse(w.week));
    const svg = frame(id, { title: `${title} per week, with 95% intervals`, x, y: d3.scaleLinear().domain(domain), xTitle: 'Week (Monday)', yTitle: `${title} (${unit})`, xTicks: (axis) => axis.tickValues(ticks).tickFormat(dayFormat()) });
    const y = d3.scaleLinear().domain(domain).range([256, 24]);
    svg.append('path').datum(weeks).attr('fill', '#0969da22').attr('d', d3.area().x((w) => x(parse(w.week))).y0((w) => y(w[key].low)).y1((w) => y(w[key].high)));
    svg.append('path').datum(weeks).attr('fill', 'none').attr('stroke', '#0969da').attr('d', d3.line().x((w) => x(parse(w.week))).y((w) => y(w[key].value)));
    svg.append('g').selectAll('circle').data(weeks).join('circle').attr('class', `mark-${key}`).attr('cx', (w) => x(parse(w.week))).attr('cy', (w) => y(w[key].value)).attr('r', 3.5).attr('fill', '#0969da')
      .append('title').text((w) => `week of ${w.week}: ${title} ${fmt(w[key].value, 1)} (${fmt(w[key].low, 1)} to ${fmt(w[key].high, 1)}), n=${w[key].n}`);
  }

  function drawNeeds() {
    if (data.needs === null) {
      ['opportunity-map', 'kano-chart', 'nps-chart', 'csat-chart'].forEach((id) => clear(id));
      return empty('opportunity-map', lang === 'zh' ? '本次运行的窗口内没有调查回答。' : 'No survey responses in this run\'s window.');
    }
    drawOpportunity();
    drawKano();
    drawExperience('nps-chart', 'nps', 'NPS', '−100 to 100', [-100, 100]);
    drawExperience('csat-chart', 'csat', 'CSAT', '% satisfied', [0, 100]);
    const terms = clear('comment-terms');
    if (data.needs.recent_comments.length > 0) {
      el(terms, 'p', lang === 'zh' ? '最新评论：' : 'Latest comments:');
      const list = el(terms, 'ul', undefined, 'comments');
      data.needs.recent_comments.forEach((c) => el(list, 'li', c, 'quote'));
    }
    if (data.needs.growing_terms.length > 0) {
      el(terms, 'p', lang === 'zh' ? '与上一窗口相比增长的评论词语：' : 'Comment terms growing against the previous window:');
      const box = el(terms, 'div', undefined, 'terms');
      data.needs.growing_terms.forEach((t) => el(box, 'span', `${t.term} (${t.count})`, 'quote'));
    }
  }

  // ---- segments ----------------------------------------------------------------------
  function drawSegments() {
    if (data.segments === null) return empty('segments-chart', lang === 'zh' ? '本次运行没有用户细分。' : 'No segmentation in this run.');
    const y = d3.scaleBand().domain(data.segments.map((s) => segName(s.id, s.name))).padding(0.2);
    const x = d3.scaleLinear().domain([0, d3.max(data.segments, (s) => s.size)]).nice();
    const m = { left: 230 };
    const svg = d3.select(clear('segments-chart')).append('svg').attr('width', 720).attr('height', 40 + 28 * data.segments.length);
    x.range([m.left, 700]);
    y.range([20, 20 + 28 * data.segments.length]);
    svg.append('g').attr('transform', `translate(0,${20 + 28 * data.segments.length})`).call(d3.axisBottom(x).ticks(5));
    svg.append('g').attr('transform', `translate(${m.left},0)`).call(d3.axisLeft(y));
    svg.append('text').attr('class', 'chart-title').attr('x', m.left).attr('y', 12).text(tr('Users per segment (persona)'));
    svg.append('g').selectAll('rect').data(data.segments).join('rect').attr('class', 'mark-segment').attr('x', m.left).attr('y', (s) => y(segName(s.id, s.name))).attr('height', y.bandwidth()).attr('width', (s) => x(s.size) - m.left).attr('fill', '#1a7f37')
      .append('title').text((s) => `${s.name}: ${s.size} users`);
    // Personas as cards: size and share, top unmet need, 2–3 traits in words.
    const list = clear('segment-features');
    list.className = 'persona-cards';
    const total = d3.sum(data.segments, (s) => s.size) || 1;
    data.segments.forEach((s) => {
      const card = el(list, 'li', undefined, 'persona-card');
      card.dataset.segment = String(s.id);
      el(card, 'h3', segName(s.id, s.name));
      el(card, 'p', lang === 'zh' ? `${s.size} 位用户（${fmt((100 * s.size) / total, 0)} %）` : `${s.size} users (${fmt((100 * s.size) / total, 0)} % of those segmented)`);
      if (s.previous_size !== undefined) {
        const k = data.privacy.min_group;
        const d = s.previous_size === null ? null : s.size - s.previous_size;
        const pctChange = s.previous_size ? ` (${d >= 0 ? '+' : '−'}${fmt(Math.abs((100 * d) / s.previous_size), 0)} %)` : '';
        const text = s.previous_withheld ? (lang === 'zh' ? `上次运行时少于 ${k} 位用户` : `fewer than ${k} users in the last run`)
          : d === null ? (lang === 'zh' ? '上次运行后新出现' : 'new since the last run')
            : s.previous_name ? (lang === 'zh' ? `上次运行时为“${s.previous_name_zh || s.previous_name}”（同一批用户），${d >= 0 ? '+' : '−'}${Math.abs(d)} 位用户${pctChange}` : `was "${s.previous_name}" in the last run (the same users), ${d >= 0 ? '+' : '−'}${Math.abs(d)} users${pctChange}`)
            : lang === 'zh' ? `较上次运行 ${d >= 0 ? '+' : '−'}${Math.abs(d)} 位用户${pctChange}` : `${d >= 0 ? '+' : '−'}${Math.abs(d)} users since the last run${pctChange}`;
        el(card, 'p', text, 'persona-change');
      }
      const exp = data.needs && data.needs.by_segment ? data.needs.by_segment.find((x) => x.segment === s.id) : undefined;
      if (exp && exp.nps.value !== null) el(card, 'p', lang === 'zh' ? `NPS ${fmt(exp.nps.value, 0)}（95 % 区间 ${fmt(exp.nps.low, 0)} 至 ${fmt(exp.nps.high, 0)}，n ${exp.nps.n}）` : `NPS ${fmt(exp.nps.value, 0)} (95 % interval ${fmt(exp.nps.low, 0)} to ${fmt(exp.nps.high, 0)}, n ${exp.nps.n})`);
      const unmet = data.needs ? data.needs.rows.filter((r) => r.segment === s.id && r.opportunity !== null).sort((a, b) => b.opportunity - a.opportunity)[0] : undefined;
      if (unmet) el(card, 'p', lang === 'zh' ? `最未被满足的需求：${label(unmet.need)}（机会值 ${fmt(unmet.opportunity, 1)}，n ${unmet.n}）` : `Top unmet need: ${label(unmet.need)} (opportunity ${fmt(unmet.opportunity, 1)}, n ${unmet.n})`);
      const traits = el(card, 'ul');
      s.distinctive.slice(0, 3).forEach((d) => el(traits, 'li', trait(d)));
    });
  }

  const TRAITS = {
    events_per_day: ['requests per day', '每日请求数'], active_days: ['active days', '活跃天数'], recency_days: ['days since last use', '距上次使用天数'],
    success_rate: ['success rate', '成功率'], failure_rate: ['failure rate', '失败率'], abandon_rate: ['abandon rate', '放弃率'], mean_latency_ms: ['response time', '响应时间'],
    mean_rating: ['rating', '评分'], feedback_rate: ['feedback given', '反馈率'], plan_free: ['on the Free plan', 'Free 套餐'], plan_pro: ['on the Pro plan', 'Pro 套餐'],
    plan_enterprise: ['on the Enterprise plan', 'Enterprise 套餐'], nps: ['likelihood to recommend', '推荐意愿'], csat: ['satisfaction', '满意度'],
  };
  /** "uses translate much more than average" for a feature's z-score. */
  function trait(d) {
    const share = /^share_(.+)$/.exec(d.feature);
    const name = share ? (lang === 'zh' ? `使用 ${share[1]}` : `uses ${share[1].replace(/_/g, ' ')}`) : (TRAITS[d.feature] || [d.feature, d.feature])[lang === 'zh' ? 1 : 0];
    const much = Math.abs(d.z) >= 1.5;
    if (lang === 'zh') return `${name}${d.z > 0 ? (much ? '远高于' : '高于') : (much ? '远低于' : '低于')}平均`;
    return `${name}: ${much ? 'much ' : ''}${d.z > 0 ? 'more' : 'less'} than average`;
  }

  // ---- drift ----------------------------------------------------------------------
  // The ranked tables are rendered on the server (web/briefing.ts); the selector shows one.
  /** Shows the server-rendered block of the chosen segment (drift table, NPS and CSAT tiles), or all users'. */
  function showPopulation() {
    const want = segment === 'all' ? '-1' : segment;
    for (const selector of ['.drift-population', '.tiles']) {
      const blocks = [...document.querySelectorAll(selector)];
      const target = blocks.find((t) => t.dataset.population === want) ? want : '-1';
      blocks.forEach((t) => { t.hidden = t.dataset.population !== target; });
    }
  }

  function drawDrift() {
    if (data.drift === null) return;
    showPopulation();
    const text = clear('text-drift');
    if (data.drift.text !== null) {
      el(text, 'p', lang === 'zh' ? `请求文本：两个窗口之间的 Jensen–Shannon 距离为 ${fmt(data.drift.text.js, 3)}。新词语：` : `Request texts: Jensen–Shannon distance ${fmt(data.drift.text.js, 3)} between the windows. New terms:`);
      const box = el(text, 'div', undefined, 'terms');
      data.drift.text.new_terms.forEach((t) => el(box, 'span', `${t.term} (${t.count})`, 'quote'));
      el(text, 'p', lang === 'zh' ? '增长的词语：' : 'Growing terms:');
      const grown = el(text, 'div', undefined, 'terms');
      data.drift.text.grown_terms.forEach((t) => el(grown, 'span', `${t.term} (${t.count})`, 'quote'));
    }
    data.drift.emerging_needs.forEach((e) => {
      el(text, 'p', lang === 'zh' ? `新兴需求：${label(e.need)}——${e.current} 次更正。示例请求：` : `Emerging need: ${label(e.need)} — ${e.current} corrections. Example requests:`);
      const list = el(text, 'ul');
      e.examples.forEach((x) => el(list, 'li', x, 'quote'));
    });
  }

  // ---- model -------------------------------------------------------------------------
  const STATUS_ZH = { candidate: '候选', awaiting_approval: '等待批准', production: '生产', rejected: '已拒绝', retired: '已退役', expired: '已过期', archived: '已归档' };
  function drawModel() {
    const gate = clear('gate');
    if (data.model === null) {
      empty('slice-chart', lang === 'zh' ? '本次运行没有候选模型。' : 'No candidate model in this run.');
      clear('confusion-matrix');
      clear('training-curve');
      clear('reliability-chart');
      return el(gate, 'p', lang === 'zh' ? '本次运行没有重新训练模型。' : 'The model was not retrained in this run.');
    }
    const mdl = data.model;
    el(gate, 'p', lang === 'zh'
      ? `候选模型 ${mdl.candidate_id}${mdl.production_id ? ` 对比生产模型 ${mdl.production_id}` : '（第一个模型）'}：${mdl.blessed ? '通过了评审门' : '被评审门拒绝'}；当前状态：${STATUS_ZH[mdl.status] || mdl.status}。`
      : `Candidate model ${mdl.candidate_id}${mdl.production_id ? ` against production model ${mdl.production_id}` : ' (the first model)'}: ${mdl.blessed ? 'blessed by the gate' : 'refused by the gate'}; now ${mdl.status.replace('_', ' ')}.`);
    const list = el(gate, 'ul');
    mdl.reasons.forEach((r, i) => el(list, 'li', lang === 'zh' && mdl.reasons_zh ? mdl.reasons_zh[i] : r, r.startsWith('PASS') ? 'pass' : 'fail'));

    const models = [['candidate', mdl.candidate]].concat(mdl.production ? [['production', mdl.production]] : []);
    // Slices as a table: n, accuracy, production's accuracy and the change, worst first.
    const prod = new Map((mdl.production ? mdl.production.holdout.slices : []).map((x) => [`${x.dimension}=${x.value}`, x]));
    const slices = [...mdl.candidate.holdout.slices].sort((a, b) => a.accuracy - b.accuracy);
    const sbox = clear('slice-chart');
    const st = el(sbox, 'table', undefined, 'fairness slices');
    el(st, 'caption', tr('Holdout accuracy per slice'));
    const sh = el(el(st, 'thead'), 'tr');
    ['slice', 'examples', 'candidate accuracy', "production's accuracy", 'change'].forEach((h) => el(sh, 'th', tr(h)));
    const sb = el(st, 'tbody');
    slices.forEach((x) => {
      const p = prod.get(`${x.dimension}=${x.value}`);
      const row = el(sb, 'tr', undefined, `mark-slice${x.n < FEW ? ' few' : ''}`);
      const d = p ? x.accuracy - p.accuracy : null;
      [`${x.dimension}: ${x.value}`, String(x.n), fmt(x.accuracy, 3), p ? fmt(p.accuracy, 3) : '–', d === null ? '–' : `${d >= 0 ? '+' : '−'}${fmt(Math.abs(d), 3)}`].forEach((c) => el(row, 'td', c));
    });

    // Rows named "1. need", columns by the same numbers: no rotated labels to collide.
    const c = mdl.candidate.holdout.confusion;
    const size = Math.max(18, Math.min(28, Math.floor(360 / Math.max(1, c.labels.length))));
    const cm = d3.select(clear('confusion-matrix')).append('svg');
    const title = cm.append('text').attr('class', 'chart-title').attr('x', 0).attr('y', 14).text(tr('Candidate confusion matrix (rows: true intent, columns: predicted)'));
    const rowLabels = cm.append('g').selectAll('text').data(c.labels).join('text').attr('text-anchor', 'end').text((l, i) => `${i + 1}. ${label(l)}`);
    const widest = d3.max(rowLabels.nodes(), (n) => n.getBBox().width) || 0;
    const m = { left: Math.ceil(widest) + 8, top: 44 };
    rowLabels.attr('x', m.left - 4).attr('y', (_, i) => m.top + i * size + size * 0.65);
    cm.append('g').selectAll('text').data(c.labels).join('text').attr('text-anchor', 'middle').attr('x', (_, j) => m.left + j * size + size / 2).attr('y', m.top - 6).text((_, j) => String(j + 1));
    cm.attr('width', Math.max(m.left + size * c.labels.length + 10, Math.ceil(title.node().getBBox().width) + 4)).attr('height', m.top + size * c.labels.length + 10);
    const max = d3.max(c.matrix.flat()) || 1;
    const shade = d3.scaleSequential(d3.interpolateBlues).domain([0, Math.log1p(max)]);
    const cells = c.matrix.flatMap((row, i) => row.map((count, j) => ({ i, j, count })));
    cm.append('g').selectAll('rect').data(cells).join('rect').attr('class', 'mark-confusion').attr('x', (d) => m.left + d.j * size).attr('y', (d) => m.top + d.i * size).attr('width', size - 1).attr('height', size - 1).attr('fill', (d) => shade(Math.log1p(d.count)))
      .append('title').text((d) => `true ${label(c.labels[d.i])}, predicted ${label(c.labels[d.j])}: ${d.count}`);

    drawReliability(models);
    if (mdl.curve.length === 0) return empty('training-curve', lang === 'zh' ? '没有记录训练曲线。' : 'No training curve recorded.');
    const losses = mdl.curve.flatMap((p) => [p.loss, p.validation_loss].filter((v) => v !== null));
    const tx = d3.scaleLinear().domain([1, Math.max(2, mdl.curve.length)]);
    const positive = losses.filter((v) => v > 0);
    const ty = d3.scaleLog().domain([d3.min(positive) * 0.8 || 1e-4, d3.max(positive) * 1.2 || 1]);
    // A log axis over less than a decade labels no tick by default: at most five, labelled.
    const allTicks = ty.ticks(8);
    const logTicks = allTicks.filter((_, i) => i % Math.ceil(allTicks.length / 5) === 0);
    const epochs = d3.range(1, Math.max(2, mdl.curve.length) + 1).filter((e, _, all) => all.length <= 12 || e % Math.ceil(all.length / 10) === 0 || e === 1);
    const tsvg = frame('training-curve', { width: 680, title: 'Training curve', x: tx, y: ty, xTitle: 'Epoch', yTitle: 'Cross-entropy loss (log scale)', right: 140,
      xTicks: (axis) => axis.tickValues(epochs).tickFormat(d3.format('d')), yTicks: (axis) => axis.tickValues(logTicks).tickFormat(d3.format('.2~g')) });
    [['loss', '#0969da'], ['validation_loss', '#bf8700']].forEach(([key, col]) => {
      const pts = mdl.curve.filter((p) => p[key] !== null);
      tsvg.append('path').datum(pts.filter((p) => p[key] > 0)).attr('fill', 'none').attr('stroke', col).attr('d', d3.line().x((p) => tx(p.epoch + 1)).y((p) => ty(p[key])));
      tsvg.append('g').selectAll('circle').data(pts.filter((p) => p[key] > 0)).join('circle').attr('class', 'mark-curve').attr('cx', (p) => tx(p.epoch + 1)).attr('cy', (p) => ty(p[key])).attr('r', 3).attr('fill', col)
        .append('title').text((p) => `epoch ${p.epoch + 1}: ${key.replace('_', ' ')} ${fmt(p[key], 4)}`);
    });
    legend(tsvg, 680 - 140, 30, [['training loss', '#0969da'], ['validation loss', '#bf8700']]);
  }

  /** Reliability diagram: per confidence bin, the share right against the mean confidence; on the diagonal, "0.8 sure" is right 80 % of the time. */
  function drawReliability(models) {
    const series = models.map(([name, e]) => ({ name, ece: e.holdout.ece, bins: (e.holdout.calibration || []).filter((b) => b.n > 0 && b.confidence !== null) }));
    if (series.every((s) => s.bins.length === 0)) return empty('reliability-chart', lang === 'zh' ? '本次评估没有记录校准区间。' : 'No calibration bins recorded for this evaluation.');
    const x = d3.scaleLinear().domain([0, 1]);
    const y = d3.scaleLinear().domain([0, 1]);
    const svg = frame('reliability-chart', { width: 460, title: 'Reliability on the holdout (calibrated confidence)', x, y, xTitle: 'Mean confidence in the bin', yTitle: 'Share right', right: 140 });
    svg.append('path').attr('d', d3.line()([[x(0), y(0)], [x(1), y(1)]])).attr('stroke', '#8c959f').attr('stroke-dasharray', '4 3').attr('fill', 'none');
    const color = { candidate: '#0969da', production: '#8c959f' };
    series.forEach((s) => {
      svg.append('path').datum(s.bins).attr('fill', 'none').attr('stroke', color[s.name]).attr('d', d3.line().x((b) => x(b.confidence)).y((b) => y(b.accuracy)));
      svg.append('g').selectAll('circle').data(s.bins).join('circle').attr('class', 'mark-reliability').attr('cx', (b) => x(b.confidence)).attr('cy', (b) => y(b.accuracy)).attr('r', (b) => 2 + Math.min(6, Math.sqrt(b.n) / 4)).attr('fill', color[s.name]).attr('fill-opacity', 0.7)
        .append('title').text((b) => `${s.name}, confidence ${fmt(b.from, 1)}–${fmt(b.from + 0.1, 1)}: ${b.n} requests, mean confidence ${fmt(b.confidence, 3)}, right ${fmt(b.accuracy, 3)}`);
    });
    legend(svg, 460 - 140, 30, series.map((s) => [`${tr(s.name)} (ECE ${fmt(s.ece, 3)})`, color[s.name]]));
  }

  // ---- the loop, night by night ------------------------------------------------------
  const DECISION_WORDS = {
    promote: [(d) => `model ${d.model} promoted by ${d.by}${d.previous ? ` (replacing model ${d.previous})` : ''}`, (d) => `模型 ${d.model} 由 ${d.by} 升级${d.previous ? `（取代模型 ${d.previous}）` : ''}`, '★', '#1a7f37'],
    reject: [(d) => `model ${d.model} rejected by ${d.by}${d.comment ? `: ${d.comment}` : ''}`, (d) => `模型 ${d.model} 被 ${d.by} 拒绝${d.comment ? `：${d.comment}` : ''}`, '✕', '#57606a'],
    rollback: [(d) => `rolled back to model ${d.model} by ${d.by}${d.previous ? ` (retiring model ${d.previous})` : ''}`, (d) => `由 ${d.by} 回滚到模型 ${d.model}${d.previous ? `（退役模型 ${d.previous}）` : ''}`, '↺', '#8250df'],
  };
  /** Every night up to this report's own, with what the loop did and every decision on the registry marked. */
  function drawTimeline() {
    const nights = data.timeline;
    if (nights.length === 0) {
      empty('timeline-chart', lang === 'zh' ? '还没有流水线运行。' : 'No pipeline run yet.');
      clear('timeline-events');
      return;
    }
    const nightOf = (n) => (lang === 'zh' ? `第 ${n.night} 晚（${n.date}）` : `Night ${n.night} (${n.date})`);
    const [lo, hi] = [Math.min(...nights.map((n) => n.night)), Math.max(...nights.map((n) => n.night))];
    const x = d3.scaleLinear().domain([lo - 0.5, hi + 0.5]);
    const y = d3.scaleLinear().domain([0, 1]);
    const width = 680;
    const ticks = d3.range(lo, hi + 1).filter((v, _, all) => all.length <= 15 || (v - lo) % Math.ceil(all.length / 12) === 0);
    const svg = frame('timeline-chart', { width, title: 'What users got each day, and what the loop did each night', x, y, xTitle: 'Night', yTitle: 'Share right', right: 16,
      xTicks: (axis) => axis.tickValues(ticks).tickFormat(d3.format('d')), yTicks: (axis) => axis.ticks(5).tickFormat(d3.format('.0%')) });
    const yr = d3.scaleLinear().domain([0, 1]).range([256, 24]);
    const truth = nights.some((n) => n.accuracy_of === 'truth');
    const changed = nights.map((n) => n.changed_need).find((c) => c) || null;
    const series = [['accuracy', '#0969da', truth ? 'accuracy on all requests' : 'accuracy on labelled requests']];
    if (nights.some((n) => n.changed_need_recall !== null)) series.push(['changed_need_recall', '#bf8700', lang === 'zh' ? `${label(changed)}的召回率` : `recall on ${label(changed)}`]);
    series.forEach(([key, col]) => {
      const pts = nights.filter((n) => n[key] !== null);
      svg.append('path').datum(pts).attr('fill', 'none').attr('stroke', col).attr('d', d3.line().x((n) => x(n.night)).y((n) => yr(n[key])));
      svg.append('g').selectAll('circle').data(pts).join('circle').attr('class', 'mark-timeline').attr('cx', (n) => x(n.night)).attr('cy', (n) => yr(n[key])).attr('r', 3.5).attr('fill', col)
        .append('title').text((n) => `${nightOf(n)}: ${fmt(n[key], 3)}`);
    });
    // Marks below the curves: retraining (▲) at 5 %, decisions at 12 % and up, one row each.
    const retrained = nights.filter((n) => n.retrain || n.candidate !== null);
    svg.append('g').selectAll('path').data(retrained).join('path').attr('class', 'mark-event mark-retrain')
      .attr('d', d3.symbol(d3.symbolTriangle, 60)()).attr('transform', (n) => `translate(${x(n.night)},${yr(0.05)})`).attr('fill', '#cf222e')
      .append('title').text((n) => `${nightOf(n)}: ${lang === 'zh' ? '重新训练' : 'retrained'}`);
    const decisions = nights.flatMap((n) => n.decisions.map((d, i) => ({ ...d, night: n.night, row: i })));
    svg.append('g').selectAll('text').data(decisions).join('text').attr('class', (d) => `mark-event mark-decision mark-${d.action}`).attr('data-model', (d) => d.model)
      .attr('x', (d) => x(d.night)).attr('y', (d) => yr(0.13 + 0.07 * d.row)).attr('text-anchor', 'middle').attr('fill', (d) => DECISION_WORDS[d.action][3]).style('font-size', '16px')
      .text((d) => DECISION_WORDS[d.action][2])
      .append('title').text((d) => DECISION_WORDS[d.action][lang === 'zh' ? 1 : 0](d));
    // The legend below the plot, outside the data.
    const items = [...series.map(([, col, name]) => [name, col, '●']), [lang === 'zh' ? '重新训练' : 'retrained', '#cf222e', '▲'],
      ...['promote', 'reject', 'rollback'].filter((a) => decisions.some((d) => d.action === a)).map((a) => [{ promote: ['promoted', '升级'], reject: ['rejected', '拒绝'], rollback: ['rolled back', '回滚'] }[a][lang === 'zh' ? 1 : 0], DECISION_WORDS[a][3], DECISION_WORDS[a][2]])];
    const height = Number(svg.attr('height'));
    const g = svg.append('g').attr('class', 'legend');
    let at = 56;
    items.forEach(([name, col, glyph]) => {
      const item = g.append('g').attr('transform', `translate(${at},0)`);
      item.append('text').attr('fill', col).attr('y', 12).text(glyph);
      item.append('text').attr('x', 16).attr('y', 12).text(tr(name));
      at += item.node().getBBox().width + 18;
    });
    g.attr('transform', `translate(0,${height + 4})`);
    svg.attr('height', height + 24).attr('width', Math.max(width, at));
    const list = clear('timeline-events');
    nights.forEach((n) => {
      const did = [];
      if (n.candidate !== null) did.push(lang === 'zh' ? `训练了模型 ${n.candidate}` : `trained model ${n.candidate}`);
      else if (n.retrain) did.push(lang === 'zh' ? '需要重新训练' : 'retraining due');
      n.decisions.forEach((d) => did.push(DECISION_WORDS[d.action][lang === 'zh' ? 1 : 0](d)));
      if (did.length === 0) return;
      const why = n.reasons.length === 0 ? '' : ` — ${(lang === 'zh' && n.reasons_zh ? n.reasons_zh : n.reasons).join(lang === 'zh' ? '；' : '; ')}`;
      const li = el(list, 'li', `${nightOf(n)}${lang === 'zh' ? '：' : ': '}${did.join(lang === 'zh' ? '；' : '; ')}${why}`);
      li.dataset.night = String(n.night);
    });
    if (list.children.length === 0) el(list, 'li', lang === 'zh' ? '这些夜晚闭环没有重新训练，也没有任何模型决定。' : 'The loop neither retrained nor took a decision on a model on these nights.', 'empty');
  }

  // ---- requests of no known need ----------------------------------------------------
  function drawOutOfScope() {
    const o = data.out_of_scope;
    if (o === null) {
      empty('out-of-scope-chart', lang === 'zh' ? '记录的预测没有说明哪些请求不属于任何已知需求（早于模型能判断的日志）。' : 'The logged predictions do not say which requests were none of the known needs (logs from before models could).');
      clear('out-of-scope-examples');
      return;
    }
    const days = o.days.map((d) => ({ ...d, day: new Date(`${d.date}T00:00:00Z`), share: d.answered === 0 ? null : d.flagged / d.answered }));
    const x = d3.scaleUtc().domain(d3.extent(days, (d) => d.day));
    const top = Math.max(0.05, ...days.map((d) => d.share ?? 0)) * 1.15;
    const y = d3.scaleLinear().domain([0, top]);
    const svg = frame('out-of-scope-chart', { width: 560, title: 'Share of requests that were none of the known needs, per day', x, y, xTitle: 'Day (UTC)', yTitle: 'Share out of scope',
      xTicks: (axis) => axis.ticks(6).tickFormat(dayFormat()), yTicks: (axis) => axis.ticks(6).tickFormat(d3.format('.0%')) });
    const pts = days.filter((d) => d.share !== null);
    svg.append('path').datum(pts).attr('fill', 'none').attr('stroke', '#8250df').attr('d', d3.line().x((d) => x(d.day)).y((d) => y(d.share)));
    svg.append('g').selectAll('circle').data(pts).join('circle').attr('class', 'mark-out-of-scope').attr('cx', (d) => x(d.day)).attr('cy', (d) => y(d.share)).attr('r', 3).attr('fill', '#8250df')
      .append('title').text((d) => `${d.date}: ${d.flagged} of ${d.answered} requests (${fmt(100 * d.share, 1)} %)`);
    const list = clear('out-of-scope-examples');
    if (o.examples.length === 0) el(list, 'li', lang === 'zh' ? '最近 7 天没有超出范围的请求。' : 'No request of the last 7 days was out of scope.', 'empty');
    o.examples.forEach((e) => {
      const li = el(list, 'li', `${e.ts.slice(0, 16).replace('T', ' ')} — `);
      el(li, 'span', `“${e.text}”`, 'quote');
      if (e.guess !== null) el(li, 'span', lang === 'zh' ? `（最接近的需求：${label(e.guess)}，${fmt(e.confidence)}）` : ` (closest need: ${label(e.guess)}, ${fmt(e.confidence)})`);
    });
  }

  // ---- controls ----------------------------------------------------------------------
  const select = document.getElementById('segment-select');
  const addOption = (value, text) => { const o = el(select, 'option', text); o.value = value; };
  addOption('all', 'All users');
  const names = new Map();
  if (data.needs) Object.entries(data.needs.segment_names).forEach(([id, name]) => names.set(id, name));
  if (data.drift) data.drift.populations.filter((p) => p.id !== -1).forEach((p) => names.set(String(p.id), p.name));
  [...names.entries()].sort((a, b) => Number(a[0]) - Number(b[0])).forEach(([id, name]) => addOption(id, name));
  select.addEventListener('change', () => { segment = select.value; drawNeeds(); showPopulation(); });
  document.getElementById('lang').addEventListener('change', (e) => {
    lang = e.target.value;
    document.documentElement.lang = lang;
    [...select.options].forEach((o) => { o.textContent = o.value === 'all' ? tr('All users') : segName(Number(o.value), names.get(o.value)); });
    drawNeeds(); drawSegments(); drawDrift(); drawModel(); drawOutOfScope(); drawTimeline();
  });
  // Printed, every folded row and reason is shown; the screen gets its folds back after.
  let opened = [];
  window.addEventListener('beforeprint', () => {
    opened = [...document.querySelectorAll('details:not([open])')];
    opened.forEach((d) => { d.open = true; });
  });
  window.addEventListener('afterprint', () => { opened.forEach((d) => { d.open = false; }); opened = []; });
  drawNeeds();
  drawSegments();
  drawDrift();
  drawModel();
  drawOutOfScope();
  drawTimeline();
  document.body.dataset.rendered = 'true';
})();
