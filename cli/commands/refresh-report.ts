/**
 * After a decision taken on the command line — a promotion, a rollback, a candidate need
 * adopted or dismissed — the newest report is written again as things stand now, so that
 * `latest.html` shows the decision and never an older state (activities/publish-report.ts).
 */
import { dirname, join } from 'node:path';
import type { Config } from '../../config.js';
import type { DatabaseHandle } from '../../db/connection.js';
import { loadCatalogue } from '../../db/need-catalogue.js';

/** The report written again, or null when no run has published one yet. */
export async function refreshReport(handle: DatabaseHandle, cfg: Config): Promise<string | null> {
  const [{ republishNewest }, { catalogueWithAdopted }] = await Promise.all([import('../../activities/publish-report.js'), import('../../activities/discover-needs.js')]);
  const catalogue = await catalogueWithAdopted(handle, loadCatalogue(cfg.catalogueFile));
  const written = await republishNewest({ db: handle.db, reportsDir: cfg.reportsDir, catalogue, minGroup: cfg.minGroup });
  return written?.path ?? null;
}

/** The line that tells where the updated report is. */
export const reportLine = (path: string | null) => (path === null ? null : `Report updated: ${path} (and ${join(dirname(path), 'latest.html')})`);
