/**
 * Debian's Chromium driven by playwright-core (Playwright's own browser download does not
 * work on these machines; `.ci/run` installs Chromium with apt-get).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots the browser tests keep, for people to look at. */
export const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with apt-get install -y chromium (.ci/run does)`);
  await mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/** A page that records console errors, page errors and every request it makes. */
export async function openPage(browser: Browser): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
  return { page, errors, requests };
}

/**
 * Lines of the page, in the language shown, that hold an English phrase (three Latin
 * words in a row) outside what users wrote: elements marked `.quote`, commands (`code`),
 * and text in quotation marks are users' words or things to type, and stay as written.
 */
export async function englishPhrases(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    // The visible text (CSS decides which language shows), less the parts users wrote.
    const live = document.body.innerText.split('\n');
    const removed = new Set<string>();
    for (const e of Array.from(document.querySelectorAll('.quote, code, select'))) for (const l of (e as HTMLElement).innerText.split('\n')) if (l.trim() !== '') removed.add(l.trim());
    const unquoted = (l: string) => l.replace(/“[^”]*”|"[^"]*"/g, '').replace(/[^\s]*[:/][^\s]*/g, '');
    let text = live.map((l) => l.trim()).filter((l) => l !== '' && !removed.has(l));
    for (const r of removed) text = text.map((l) => l.split(r).join(''));
    return text.filter((l) => /[A-Za-z]{2,}(?:[ ,'’]+[A-Za-z]{2,}){2,}/.test(unquoted(l)));
  });
}

/** Chart texts drawn smaller than 12 px: [text, px] of each. */
export async function smallChartText(page: Page): Promise<[string, number][]> {
  return page.evaluate(() => Array.from(document.querySelectorAll('svg text'))
    .filter((t) => (t as SVGTextElement).getBBox().width > 0)
    .map((t) => [t.textContent ?? '', parseFloat(getComputedStyle(t).fontSize)] as [string, number])
    .filter(([, px]) => px < 12));
}

/**
 * Each opportunity-map label's gap to its mark (px, box to box), and whether a leader line
 * joins them: a label set off its mark must have one, and none may sit farther than `max`.
 */
export async function labelGaps(page: Page): Promise<{ rank: string; gap: number; leader: boolean }[]> {
  return page.evaluate(() => Array.from(document.querySelectorAll('#opportunity-map .need-label')).map((label) => {
    const rank = (label as SVGElement).dataset.rank!;
    const mark = document.querySelector(`#opportunity-map .mark-need[data-rank="${rank}"]`)!;
    const [a, b] = [label.getBoundingClientRect(), mark.getBoundingClientRect()];
    const dx = Math.max(0, a.left - b.right, b.left - a.right);
    const dy = Math.max(0, a.top - b.bottom, b.top - a.bottom);
    const leader = Array.from(document.querySelectorAll('#opportunity-map line.leader')).some((l) => {
      const r = l.getBoundingClientRect();
      const c = { x: b.left + b.width / 2, y: b.top + b.height / 2 };
      return c.x >= r.left - 1 && c.x <= r.right + 1 && c.y >= r.top - 1 && c.y <= r.bottom + 1 && r.left - 1 <= a.right && r.right + 1 >= a.left && r.top - 1 <= a.bottom && r.bottom + 1 >= a.top;
    });
    return { rank, gap: Math.hypot(dx, dy), leader };
  }));
}
