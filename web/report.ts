/**
 * The run report: one self-contained HTML file, its data embedded as JSON. Every text
 * from users or files is escaped; the embedded JSON cannot close its script element.
 */

export interface ReportData {
  run_id: string;
  generated_at: string;
  results: unknown;
  summary: string[];
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** JSON that is safe inside <script type="application/json">. */
export function embedJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function renderReport(data: ReportData): string {
  const items = data.summary.map((s) => `<li>${escapeHtml(s)}</li>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>needloop run ${escapeHtml(data.run_id)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}pre{background:#f6f6f6;padding:1rem;overflow:auto}</style>
</head>
<body>
<h1>needloop — pipeline run ${escapeHtml(data.run_id)}</h1>
<p>Generated ${escapeHtml(data.generated_at)}</p>
<h2>Summary</h2>
<ul id="summary">
${items}
</ul>
<h2>Results</h2>
<pre id="results"></pre>
<script type="application/json" id="report-data">${embedJson(data)}</script>
<script>
document.getElementById('results').textContent = JSON.stringify(JSON.parse(document.getElementById('report-data').textContent).results, null, 2);
</script>
</body>
</html>
`;
}
