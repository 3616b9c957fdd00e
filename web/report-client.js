// Draws the report's charts from the embedded JSON with d3. Every text from users or
// files goes through textContent / d3's .text(), never innerHTML.
/* global d3 */
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('report-data').textContent);
  let lang = 'en';
  const label = (need) => (data.labels[need] ? data.labels[need][lang] : need);
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

  /** An svg with margins, x and y axes and their titles. */
  function frame(id, { width = 420, height = 300, title, x, y, xTitle, yTitle, xBand = false, right = 16 }) {
    // Band axes get their labels rotated: they need room below the axis.
    const m = { top: 24, right, bottom: xBand ? 110 : 44, left: 56 };
    const svg = d3.select(clear(id)).append('svg').attr('width', width).attr('height', height).attr('role', 'img').attr('aria-label', title);
    svg.append('text').attr('class', 'chart-title').attr('x', m.left).attr('y', 14).text(title);
    x.range([m.left, width - m.right]);
    y.range([height - m.bottom, m.top]);
    const xAxis = svg.append('g').attr('transform', `translate(0,${height - m.bottom})`).call(d3.axisBottom(x).ticks(6));
    if (xBand) xAxis.selectAll('text').attr('transform', 'rotate(-30)').style('text-anchor', 'end');
    svg.append('g').attr('transform', `translate(${m.left},0)`).call(d3.axisLeft(y).ticks(6));
    svg.append('text').attr('class', 'axis-title').attr('x', (m.left + width - m.right) / 2).attr('y', height - 4).attr('text-anchor', 'middle').text(xTitle);
    svg.append('text').attr('class', 'axis-title').attr('transform', `translate(12,${(m.top + height - m.bottom) / 2}) rotate(-90)`).attr('text-anchor', 'middle').text(yTitle);
    return svg;
  }

  function legend(svg, x, y, items) {
    const g = svg.append('g').attr('class', 'legend').attr('transform', `translate(${x},${y})`);
    items.forEach(([name, color], i) => {
      g.append('rect').attr('x', 0).attr('y', i * 14).attr('width', 10).attr('height', 10).attr('fill', color);
      g.append('text').attr('x', 14).attr('y', i * 14 + 9).text(name);
    });
  }

  // ---- needs -------------------------------------------------------------------------
  let segment = 'all';
  function needRows() {
    return data.needs.rows.filter((r) => (segment === 'all' ? r.segment === null : r.segment === Number(segment)));
  }

  function drawOpportunity() {
    const rows = needRows().filter((r) => r.importance !== null && r.satisfaction !== null);
    const svg = frame('opportunity-map', { title: 'Opportunity map', x: d3.scaleLinear().domain([0, 10]), y: d3.scaleLinear().domain([0, 10]), xTitle: 'Satisfaction (top-two-box, 0–10)', yTitle: 'Importance (top-two-box, 0–10)' });
    const x = d3.scaleLinear().domain([0, 10]).range([56, 404]);
    const y = d3.scaleLinear().domain([0, 10]).range([256, 24]);
    // Opportunity = importance + max(importance − satisfaction, 0) = 10: above it, underserved.
    svg.append('path').attr('d', d3.line()([[x(0), y(5)], [x(10), y(10)]])).attr('stroke', '#cf222e').attr('stroke-dasharray', '4 3').attr('fill', 'none');
    svg.append('text').attr('x', x(0.3)).attr('y', y(9.4)).attr('fill', '#cf222e').text('underserved (opportunity > 10)');
    svg.append('g').selectAll('circle').data(rows).join('circle').attr('class', 'mark-need').attr('cx', (r) => x(r.satisfaction)).attr('cy', (r) => y(r.importance)).attr('r', 5)
      .attr('fill', (r) => (r.opportunity > 10 ? '#cf222e' : '#0969da')).attr('opacity', 0.8)
      .append('title').text((r) => `${label(r.need)}: importance ${fmt(r.importance, 1)}, satisfaction ${fmt(r.satisfaction, 1)}, opportunity ${fmt(r.opportunity, 1)} (n=${r.n})`);
    // Labels beside their points, pushed apart vertically where they would overlap.
    const placed = rows.map((r) => ({ r, x: x(r.satisfaction) + 7, y: y(r.importance) + 4 })).sort((a, b) => a.y - b.y);
    placed.forEach((p, i) => {
      const prev = placed.slice(0, i).filter((q) => Math.abs(q.x - p.x) < 120);
      const last = prev[prev.length - 1];
      if (last && p.y - last.y < 11) p.y = last.y + 11;
    });
    svg.append('g').selectAll('text').data(placed).join('text').attr('x', (p) => p.x).attr('y', (p) => p.y).text((p) => label(p.r.need));
  }

  function drawKano() {
    const rows = needRows().filter((r) => r.kano.better !== null && r.kano.worse !== null);
    const svg = frame('kano-chart', { title: 'Kano: better × worse', x: d3.scaleLinear().domain([0, 1]), y: d3.scaleLinear().domain([0, 1]), xTitle: '|Worse| (dissatisfaction when absent)', yTitle: 'Better (satisfaction when present)' });
    const x = d3.scaleLinear().domain([0, 1]).range([56, 404]);
    const y = d3.scaleLinear().domain([0, 1]).range([256, 24]);
    svg.append('line').attr('x1', x(0.5)).attr('x2', x(0.5)).attr('y1', y(0)).attr('y2', y(1)).attr('stroke', '#d0d7de');
    svg.append('line').attr('x1', x(0)).attr('x2', x(1)).attr('y1', y(0.5)).attr('y2', y(0.5)).attr('stroke', '#d0d7de');
    [['Attractive', 0.02, 0.97], ['One-dimensional', 0.52, 0.97], ['Indifferent', 0.02, 0.03], ['Must-be', 0.52, 0.03]].forEach(([t, a, b]) => svg.append('text').attr('class', 'axis-title').attr('x', x(a)).attr('y', y(b)).text(t));
    svg.append('g').selectAll('circle').data(rows).join('circle').attr('class', 'mark-kano').attr('cx', (r) => x(Math.abs(r.kano.worse))).attr('cy', (r) => y(r.kano.better)).attr('r', 5).attr('fill', '#8250df')
      .append('title').text((r) => `${label(r.need)}: ${r.kano.category ?? '–'}, better ${fmt(r.kano.better)}, worse ${fmt(r.kano.worse)}`);
  }

  function drawExperience(id, key, title, unit, domain) {
    const weeks = data.needs.experience.filter((w) => w[key].value !== null);
    if (weeks.length === 0) return empty(id, `No ${title} answers in the window.`);
    const parse = d3.utcParse('%Y-%m-%d');
    const x = d3.scaleUtc().domain(d3.extent(weeks, (w) => parse(w.week)));
    const svg = frame(id, { title: `${title} per week, with 95% intervals`, x, y: d3.scaleLinear().domain(domain), xTitle: 'Week (Monday)', yTitle: `${title} (${unit})` });
    const y = d3.scaleLinear().domain(domain).range([256, 24]);
    svg.append('path').datum(weeks).attr('fill', '#0969da22').attr('d', d3.area().x((w) => x(parse(w.week))).y0((w) => y(w[key].low)).y1((w) => y(w[key].high)));
    svg.append('path').datum(weeks).attr('fill', 'none').attr('stroke', '#0969da').attr('d', d3.line().x((w) => x(parse(w.week))).y((w) => y(w[key].value)));
    svg.append('g').selectAll('circle').data(weeks).join('circle').attr('class', `mark-${key}`).attr('cx', (w) => x(parse(w.week))).attr('cy', (w) => y(w[key].value)).attr('r', 3.5).attr('fill', '#0969da')
      .append('title').text((w) => `week of ${w.week}: ${title} ${fmt(w[key].value, 1)} (${fmt(w[key].low, 1)} to ${fmt(w[key].high, 1)}), n=${w[key].n}`);
  }

  function drawNeeds() {
    if (data.needs === null) {
      ['opportunity-map', 'kano-chart', 'nps-chart', 'csat-chart'].forEach((id) => clear(id));
      return empty('opportunity-map', 'No survey responses in this run\'s window.');
    }
    drawOpportunity();
    drawKano();
    drawExperience('nps-chart', 'nps', 'NPS', '−100 to 100', [-100, 100]);
    drawExperience('csat-chart', 'csat', 'CSAT', '% satisfied', [0, 100]);
    const terms = clear('comment-terms');
    if (data.needs.recent_comments.length > 0) {
      el(terms, 'p', 'Latest comments:');
      const list = el(terms, 'ul', undefined, 'comments');
      data.needs.recent_comments.forEach((c) => el(list, 'li', c));
    }
    if (data.needs.growing_terms.length > 0) {
      el(terms, 'p', 'Comment terms growing against the previous window:');
      const box = el(terms, 'div', undefined, 'terms');
      data.needs.growing_terms.forEach((t) => el(box, 'span', `${t.term} (${t.count})`));
    }
  }

  // ---- segments ----------------------------------------------------------------------
  function drawSegments() {
    if (data.segments === null) return empty('segments-chart', 'No segmentation in this run.');
    const y = d3.scaleBand().domain(data.segments.map((s) => s.name)).padding(0.2);
    const x = d3.scaleLinear().domain([0, d3.max(data.segments, (s) => s.size)]).nice();
    const m = { left: 230 };
    const svg = d3.select(clear('segments-chart')).append('svg').attr('width', 720).attr('height', 40 + 28 * data.segments.length);
    x.range([m.left, 700]);
    y.range([20, 20 + 28 * data.segments.length]);
    svg.append('g').attr('transform', `translate(0,${20 + 28 * data.segments.length})`).call(d3.axisBottom(x).ticks(5));
    svg.append('g').attr('transform', `translate(${m.left},0)`).call(d3.axisLeft(y));
    svg.append('text').attr('class', 'chart-title').attr('x', m.left).attr('y', 12).text('Users per segment (persona)');
    svg.append('g').selectAll('rect').data(data.segments).join('rect').attr('class', 'mark-segment').attr('x', m.left).attr('y', (s) => y(s.name)).attr('height', y.bandwidth()).attr('width', (s) => x(s.size) - m.left).attr('fill', '#1a7f37')
      .append('title').text((s) => `${s.name}: ${s.size} users`);
    const list = clear('segment-features');
    data.segments.forEach((s) => el(list, 'li', `${s.name}: ${s.distinctive.map((d) => `${d.feature} ${d.z > 0 ? '+' : ''}${fmt(d.z, 1)}σ`).join(', ')}`));
  }

  // ---- drift -------------------------------------------------------------------------
  function drawHistogram(cell) {
    const h = cell.histogram;
    const population = data.drift.populations.find((p) => p.id === cell.population).name;
    if (h === null) return empty('drift-histogram', `${cell.column} (${population}): no histogram.`);
    const share = (counts) => { const total = d3.sum(counts) || 1; return counts.map((c) => c / total); };
    const rows = h.bins.flatMap((bin, i) => [{ bin, window: 'reference', value: share(h.reference)[i] }, { bin, window: 'current', value: share(h.current)[i] }]);
    const x = d3.scaleBand().domain(h.bins).padding(0.15);
    const y = d3.scaleLinear().domain([0, d3.max(rows, (r) => r.value) || 1]);
    const svg = frame('drift-histogram', { width: 760, height: 380, title: `${cell.column} — ${population}: reference vs current`, x, y, xTitle: cell.column, yTitle: 'Share of rows', xBand: true, right: 130 });
    const sub = d3.scaleBand().domain(['reference', 'current']).range([0, x.bandwidth()]);
    const color = { reference: '#8c959f', current: '#0969da' };
    svg.append('g').selectAll('rect').data(rows).join('rect').attr('class', 'mark-histogram').attr('x', (r) => x(r.bin) + sub(r.window)).attr('width', sub.bandwidth()).attr('y', (r) => y(r.value)).attr('height', (r) => y(0) - y(r.value)).attr('fill', (r) => color[r.window])
      .append('title').text((r) => `${r.bin}, ${r.window}: ${fmt(100 * r.value, 1)}%`);
    legend(svg, 760 - 120, 30, [['reference', color.reference], ['current', color.current]]);
    el(document.getElementById('drift-histogram'), 'p', cell.reason);
  }

  function drawDrift() {
    if (data.drift === null) return empty('drift-heatmap', 'No drift check in this run.');
    const columns = [...new Set(data.drift.cells.map((c) => c.column))];
    const pops = data.drift.populations;
    const cell = 14;
    const m = { left: 170, top: 150 };
    const width = m.left + pops.length * cell * 3 + 140;
    const svg = d3.select(clear('drift-heatmap')).append('svg').attr('width', width).attr('height', m.top + columns.length * cell + 20);
    svg.append('text').attr('class', 'chart-title').attr('x', 0).attr('y', 12).text('Drift per column and segment (click a cell for its histograms)');
    const x = d3.scaleBand().domain(pops.map((p) => p.id)).range([m.left, m.left + pops.length * cell * 3]);
    const y = d3.scaleBand().domain(columns).range([m.top, m.top + columns.length * cell]);
    const color = d3.scaleSequential(d3.interpolateYlOrRd).domain([0, 3]);
    svg.append('g').selectAll('text').data(pops).join('text').attr('transform', (p) => `translate(${x(p.id) + x.bandwidth() / 2},${m.top - 4}) rotate(-45)`).text((p) => p.name);
    svg.append('g').selectAll('text').data(columns).join('text').attr('x', m.left - 4).attr('y', (c) => y(c) + cell - 3).attr('text-anchor', 'end').text((c) => c);
    const cells = svg.append('g').selectAll('g').data(data.drift.cells).join('g').attr('transform', (c) => `translate(${x(c.population)},${y(c.column)})`);
    cells.append('rect').attr('class', 'mark-drift').attr('width', x.bandwidth() - 1).attr('height', cell - 1)
      .attr('fill', (c) => (c.strength === null ? '#eaeef2' : color(Math.min(3, c.strength))))
      .on('click', (_, c) => drawHistogram(c))
      .append('title').text((c) => `${c.column}, ${pops.find((p) => p.id === c.population).name}: ${c.drifted === null ? 'not judged' : c.drifted ? 'drifted' : 'no drift'} — ${c.reason}`);
    cells.filter((c) => c.drifted === true).append('circle').attr('class', 'mark-drifted').attr('cx', x.bandwidth() / 2).attr('cy', cell / 2 - 0.5).attr('r', 2.5).attr('fill', '#1f2328').attr('pointer-events', 'none');
    const lg = svg.append('g').attr('class', 'legend').attr('transform', `translate(${m.left + pops.length * cell * 3 + 16},${m.top})`);
    [0, 0.5, 1, 2, 3].forEach((v, i) => {
      lg.append('rect').attr('y', i * 14).attr('width', 12).attr('height', 12).attr('fill', color(v));
      lg.append('text').attr('x', 16).attr('y', i * 14 + 10).text(v === 1 ? '1 = threshold' : `${v}${v === 3 ? '+' : ''}`);
    });
    lg.append('circle').attr('cx', 6).attr('cy', 5 * 14 + 6).attr('r', 2.5).attr('fill', '#1f2328');
    lg.append('text').attr('x', 16).attr('y', 5 * 14 + 10).text('drifted');
    const first = data.drift.cells.find((c) => c.drifted === true) || data.drift.cells[0];
    if (first) drawHistogram(first);
    const text = clear('text-drift');
    if (data.drift.text !== null) {
      el(text, 'p', `Request texts: Jensen–Shannon distance ${fmt(data.drift.text.js, 3)} between the windows. New terms:`);
      const box = el(text, 'div', undefined, 'terms');
      data.drift.text.new_terms.forEach((t) => el(box, 'span', `${t.term} (${t.count})`));
      el(text, 'p', 'Growing terms:');
      const grown = el(text, 'div', undefined, 'terms');
      data.drift.text.grown_terms.forEach((t) => el(grown, 'span', `${t.term} (${t.count})`));
    }
    data.drift.emerging_needs.forEach((e) => {
      el(text, 'p', `Emerging need: ${label(e.need)} — ${e.current} corrections. Example requests:`);
      const list = el(text, 'ul');
      e.examples.forEach((x) => el(list, 'li', x));
    });
  }

  // ---- model -------------------------------------------------------------------------
  function drawModel() {
    const gate = clear('gate');
    if (data.model === null) {
      empty('slice-chart', 'No candidate model in this run.');
      clear('confusion-matrix');
      clear('training-curve');
      clear('reliability-chart');
      return el(gate, 'p', 'The model was not retrained in this run.');
    }
    const mdl = data.model;
    el(gate, 'p', `Candidate model ${mdl.candidate_id}${mdl.production_id ? ` against production model ${mdl.production_id}` : ' (the first model)'}: ${mdl.blessed ? 'blessed by the gate' : 'refused by the gate'}; now ${mdl.status.replace('_', ' ')}.`);
    const list = el(gate, 'ul');
    mdl.reasons.forEach((r) => el(list, 'li', r, r.startsWith('PASS') ? 'pass' : 'fail'));

    const models = [['candidate', mdl.candidate]].concat(mdl.production ? [['production', mdl.production]] : []);
    const rows = models.flatMap(([name, e]) => e.holdout.slices.map((s) => ({ model: name, slice: `${s.dimension}=${s.value}`, accuracy: s.accuracy, n: s.n })));
    const x = d3.scaleBand().domain([...new Set(rows.map((r) => r.slice))]).padding(0.2);
    const width = Math.max(560, 44 * x.domain().length + 190);
    const y = d3.scaleLinear().domain([0, 1]);
    const svg = frame('slice-chart', { width, height: 400, title: 'Holdout accuracy per slice', x, y, xTitle: 'Slice (segment, plan, locale)', yTitle: 'Accuracy', xBand: true, right: 130 });
    const sub = d3.scaleBand().domain(models.map(([n]) => n)).range([0, x.bandwidth()]);
    const color = { candidate: '#0969da', production: '#8c959f' };
    svg.append('g').selectAll('rect').data(rows).join('rect').attr('class', 'mark-slice').attr('x', (r) => x(r.slice) + sub(r.model)).attr('width', sub.bandwidth()).attr('y', (r) => y(r.accuracy)).attr('height', (r) => y(0) - y(r.accuracy)).attr('fill', (r) => color[r.model])
      .append('title').text((r) => `${r.slice}, ${r.model}: accuracy ${fmt(r.accuracy, 3)} (${r.n} examples)`);
    legend(svg, width - 120, 30, models.map(([n]) => [n, color[n]]));

    const c = mdl.candidate.holdout.confusion;
    const size = Math.max(14, Math.min(28, Math.floor(360 / Math.max(1, c.labels.length))));
    const m = { left: 150, top: 130 };
    const cm = d3.select(clear('confusion-matrix')).append('svg').attr('width', m.left + size * c.labels.length + 20).attr('height', m.top + size * c.labels.length + 30);
    cm.append('text').attr('class', 'chart-title').attr('x', 0).attr('y', 12).text('Candidate confusion matrix (rows: true intent, columns: predicted)');
    const max = d3.max(c.matrix.flat()) || 1;
    const shade = d3.scaleSequential(d3.interpolateBlues).domain([0, Math.log1p(max)]);
    const cells = c.matrix.flatMap((row, i) => row.map((count, j) => ({ i, j, count })));
    cm.append('g').selectAll('rect').data(cells).join('rect').attr('class', 'mark-confusion').attr('x', (d) => m.left + d.j * size).attr('y', (d) => m.top + d.i * size).attr('width', size - 1).attr('height', size - 1).attr('fill', (d) => shade(Math.log1p(d.count)))
      .append('title').text((d) => `true ${label(c.labels[d.i])}, predicted ${label(c.labels[d.j])}: ${d.count}`);
    cm.append('g').selectAll('text').data(c.labels).join('text').attr('x', m.left - 4).attr('y', (_, i) => m.top + i * size + size * 0.7).attr('text-anchor', 'end').text((l) => label(l));
    cm.append('g').selectAll('text').data(c.labels).join('text').attr('transform', (_, j) => `translate(${m.left + j * size + size * 0.6},${m.top - 4}) rotate(-50)`).text((l) => label(l));

    drawReliability(models);
    if (mdl.curve.length === 0) return empty('training-curve', 'No training curve recorded.');
    const losses = mdl.curve.flatMap((p) => [p.loss, p.validation_loss].filter((v) => v !== null));
    const tx = d3.scaleLinear().domain([1, Math.max(2, mdl.curve.length)]);
    const ty = d3.scaleLinear().domain([0, d3.max(losses)]);
    const tsvg = frame('training-curve', { width: 680, title: 'Training curve', x: tx, y: ty, xTitle: 'Epoch', yTitle: 'Cross-entropy loss', right: 140 });
    [['loss', '#0969da'], ['validation_loss', '#bf8700']].forEach(([key, col]) => {
      const pts = mdl.curve.filter((p) => p[key] !== null);
      tsvg.append('path').datum(pts).attr('fill', 'none').attr('stroke', col).attr('d', d3.line().x((p) => tx(p.epoch + 1)).y((p) => ty(p[key])));
      tsvg.append('g').selectAll('circle').data(pts).join('circle').attr('class', 'mark-curve').attr('cx', (p) => tx(p.epoch + 1)).attr('cy', (p) => ty(p[key])).attr('r', 3).attr('fill', col)
        .append('title').text((p) => `epoch ${p.epoch + 1}: ${key.replace('_', ' ')} ${fmt(p[key], 4)}`);
    });
    legend(tsvg, 680 - 130, 30, [['training loss', '#0969da'], ['validation loss', '#bf8700']]);
  }

  /** Reliability diagram: per confidence bin, the share right against the mean confidence; on the diagonal, "0.8 sure" is right 80 % of the time. */
  function drawReliability(models) {
    const series = models.map(([name, e]) => ({ name, ece: e.holdout.ece, bins: (e.holdout.calibration || []).filter((b) => b.n > 0 && b.confidence !== null) }));
    if (series.every((s) => s.bins.length === 0)) return empty('reliability-chart', 'No calibration bins recorded for this evaluation.');
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
    legend(svg, 460 - 130, 30, series.map((s) => [`${s.name} (ECE ${fmt(s.ece, 3)})`, color[s.name]]));
  }

  // ---- the loop, night by night ------------------------------------------------------
  function drawTimeline() {
    const nights = data.timeline;
    if (nights.length === 0) {
      empty('timeline-chart', 'No simulated nights: this run was not part of needloop simulate.');
      clear('timeline-events');
      return;
    }
    const x = d3.scaleLinear().domain([Math.min(...nights.map((n) => n.night)) - 0.5, Math.max(...nights.map((n) => n.night)) + 0.5]);
    const y = d3.scaleLinear().domain([0, 1]);
    const width = 680;
    const svg = frame('timeline-chart', { width, title: 'What users got each day, and what the loop did each night', x, y, xTitle: 'Night', yTitle: 'Share right', right: 170 });
    const yr = d3.scaleLinear().domain([0, 1]).range([256, 24]);
    const series = [['accuracy', '#0969da', 'accuracy on all requests'], ['changed_need_recall', '#bf8700', `recall on ${nights[0].changed_need ?? 'the changed need'}`]];
    series.forEach(([key, col]) => {
      const pts = nights.filter((n) => n[key] !== null);
      svg.append('path').datum(pts).attr('fill', 'none').attr('stroke', col).attr('d', d3.line().x((n) => x(n.night)).y((n) => yr(n[key])));
      svg.append('g').selectAll('circle').data(pts).join('circle').attr('class', 'mark-timeline').attr('cx', (n) => x(n.night)).attr('cy', (n) => yr(n[key])).attr('r', 3.5).attr('fill', col)
        .append('title').text((n) => `night ${n.night} (${n.date}), served by model ${n.production_model ?? '–'}: ${key.replace(/_/g, ' ')} ${fmt(n[key], 3)}`);
    });
    const events = nights.filter((n) => n.retrain || n.promoted !== null);
    svg.append('g').selectAll('path').data(events).join('path').attr('class', 'mark-event')
      .attr('d', (n) => d3.symbol(n.promoted !== null ? d3.symbolStar : d3.symbolTriangle, 60)())
      .attr('transform', (n) => `translate(${x(n.night)},${yr(0.05)})`).attr('fill', (n) => (n.promoted !== null ? '#1a7f37' : '#cf222e'))
      .append('title').text((n) => `night ${n.night}: ${n.promoted !== null ? `model ${n.promoted} promoted` : 'retrained'} — ${n.reasons[0] ?? ''}`);
    legend(svg, width - 160, 30, [...series.map(([, col, name]) => [name, col]), ['retrained (▲)', '#cf222e'], ['promoted (★)', '#1a7f37']]);
    const list = clear('timeline-events');
    events.forEach((n) => el(list, 'li', `Night ${n.night} (${n.date}): ${n.promoted !== null ? `model ${n.promoted} promoted` : n.candidate !== null ? `model ${n.candidate} trained, not promoted` : 'retraining due'} — ${n.reasons.join('; ')}`));
  }

  // ---- requests of no known need ----------------------------------------------------
  function drawOutOfScope() {
    const o = data.out_of_scope;
    if (o === null) {
      empty('out-of-scope-chart', 'The logged predictions do not say which requests were none of the known needs (logs from before models could).');
      clear('out-of-scope-examples');
      return;
    }
    const days = o.days.map((d) => ({ ...d, day: new Date(`${d.date}T00:00:00Z`), share: d.answered === 0 ? null : d.flagged / d.answered }));
    const x = d3.scaleUtc().domain(d3.extent(days, (d) => d.day));
    const top = Math.max(0.05, ...days.map((d) => d.share ?? 0)) * 1.15;
    const y = d3.scaleLinear().domain([0, top]);
    const svg = frame('out-of-scope-chart', { width: 560, title: 'Share of requests that were none of the known needs, per day', x, y, xTitle: 'Day (UTC)', yTitle: 'Share out of scope' });
    const pts = days.filter((d) => d.share !== null);
    svg.append('path').datum(pts).attr('fill', 'none').attr('stroke', '#8250df').attr('d', d3.line().x((d) => x(d.day)).y((d) => y(d.share)));
    svg.append('g').selectAll('circle').data(pts).join('circle').attr('class', 'mark-out-of-scope').attr('cx', (d) => x(d.day)).attr('cy', (d) => y(d.share)).attr('r', 3).attr('fill', '#8250df')
      .append('title').text((d) => `${d.date}: ${d.flagged} of ${d.answered} requests (${fmt(100 * d.share, 1)} %)`);
    const list = clear('out-of-scope-examples');
    if (o.examples.length === 0) el(list, 'li', 'No request of the last 7 days was out of scope.', 'empty');
    o.examples.forEach((e) => el(list, 'li', `${e.ts.slice(0, 16).replace('T', ' ')} — "${e.text}"${e.guess === null ? '' : ` (closest need: ${label(e.guess)}, ${fmt(e.confidence)})`}`));
  }

  // ---- controls ----------------------------------------------------------------------
  const select = document.getElementById('segment-select');
  const addOption = (value, text) => { const o = el(select, 'option', text); o.value = value; };
  addOption('all', 'All users');
  if (data.needs) Object.entries(data.needs.segment_names).forEach(([id, name]) => addOption(id, name));
  select.addEventListener('change', () => { segment = select.value; drawNeeds(); });
  document.getElementById('lang').addEventListener('change', (e) => { lang = e.target.value; document.documentElement.lang = lang; drawNeeds(); drawDrift(); drawModel(); drawOutOfScope(); });
  drawNeeds();
  drawSegments();
  drawDrift();
  drawModel();
  drawOutOfScope();
  drawTimeline();
  document.body.dataset.rendered = 'true';
})();
