/**
 * The two pieces every server-rendered page part needs: escaping text for HTML, and a
 * phrase in both of the report's languages.
 */
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** A phrase in both languages (already HTML); the page shows the one chosen (html[lang]). */
export function t(en: string, zh: string): string {
  return `<span class="en">${en}</span><span class="zh" lang="zh">${zh}</span>`;
}
