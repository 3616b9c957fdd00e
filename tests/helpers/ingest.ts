import { ingestFile, type FileResult, type IngestOptions } from '../../db/ingest/ingest-file.js';
import { loadCatalogue } from '../../db/need-catalogue.js';
import type { DatabaseHandle } from '../../db/connection.js';

export const catalogue = loadCatalogue(null);

/** Ingests with the shipped catalogue and the default 64 KiB field limit. */
export function ingest(handle: DatabaseHandle, file: string, options: Partial<IngestOptions> = {}): Promise<FileResult> {
  return ingestFile(handle, file, { catalogue, maxFieldBytes: 64 * 1024, ...options });
}

/** Rejected rows of a file as [line, reason], in line order. */
export async function rejections(handle: DatabaseHandle, file: string): Promise<[number, string][]> {
  const rows = await handle.db.selectFrom('rejected_rows').select(['line', 'reason']).where('file_name', '=', file).orderBy('line').execute();
  return rows.map((r) => [r.line, r.reason]);
}

export const USAGE_HEADER = 'event_id,user_id,ts,session_id,feature,request_text,predicted_intent,confidence,model_version,outcome,latency_ms,rating,feedback,corrected_intent';

/** A valid usage event as a JSON line, with fields overridden. */
export function usageJson(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    event_id: 'e1',
    user_id: 'u1',
    ts: '2026-03-01T10:00:00Z',
    session_id: 's1',
    feature: 'docs',
    request_text: 'summarize this report',
    predicted_intent: 'summarize_documents',
    confidence: 0.93,
    model_version: 'v1',
    outcome: 'success',
    latency_ms: 812,
    rating: 5,
    feedback: 'confirmed',
    corrected_intent: null,
    ...overrides,
  });
}
