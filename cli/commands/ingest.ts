import type { Command } from 'commander';
import { describe } from './index.js';
import type { Config } from '../../config.js';
import type { DatabaseHandle } from '../../db/connection.js';
import { ingestFiles, type FileResult } from '../../db/ingest/ingest-file.js';
import { loadCatalogue } from '../../db/need-catalogue.js';
import type { IngestKind } from '../../db/schema.js';
import { printJson, say, UserError } from '../output.js';
import { progressFor } from '../progress.js';
import { withDatabase } from './with-database.js';
import { scrubberFactory } from '../../analytics/pii.js';

const KINDS: readonly IngestKind[] = ['users', 'surveys', 'usage'];

export async function ingestWithProgress(handle: DatabaseHandle, config: Config, files: readonly string[], options: { kind?: IngestKind; json: boolean }): Promise<FileResult[]> {
  const progress = progressFor(options.json);
  let current = '';
  try {
    return await ingestFiles(handle, files, {
      catalogue: loadCatalogue(config.catalogueFile),
      maxFieldBytes: config.maxFieldBytes,
      scrubber: scrubberFactory(config.pii),
      kind: options.kind,
      onProgress: (p) => {
        const label = `${p.phase === 'reload' ? 'reloading' : 'loading'} ${p.file.split('/').pop()}`;
        if (label !== current) {
          current = label;
          progress.start(Math.max(1, Math.round(p.bytesTotal / 1048576)), label, ' MB');
        }
        progress.update(Math.round(p.bytesRead / 1048576), p.phase === 'merge' ? 'merging' : `${p.records} rows`);
      },
    });
  } finally {
    progress.stop();
  }
}

export function describeResult(r: FileResult): string {
  switch (r.status) {
    case 'failed':
      return `✗ ${r.error}`;
    case 'duplicate':
      return `= ${r.file}: already ingested (same checksum, batch ${r.batch_id}); nothing loaded`;
    case 'empty':
      return `○ ${r.file}: no rows${r.kind === null ? '' : ` (${r.kind})`}`;
    case 'loaded': {
      const redacted = Object.entries(r.redacted ?? {}).filter(([, n]) => n > 0).map(([kind, n]) => `${n} ${kind}`);
      return `✓ ${r.file} (${r.kind}): ${r.accepted} accepted, ${r.rejected} rejected${r.duplicates > 0 ? `, ${r.duplicates} already stored` : ''}${redacted.length > 0 ? `; personal data replaced: ${redacted.join(', ')}` : ''}`;
    }
  }
}

export function registerIngest(program: Command, config: () => Config): void {
  program
    .command('ingest')
    .description(describe('ingest'))
    .argument('<files...>', 'files to load; users first, then surveys, then usage logs')
    .option('--kind <kind>', 'users | surveys | usage (default: inferred from the header)')
    .option('--json', 'print {"files":[{file, kind, accepted, rejected, duplicates, status, redacted}]}')
    .action(async (files: string[], flags: { kind?: string; json?: boolean }) => {
      if (flags.kind !== undefined && !KINDS.includes(flags.kind as IngestKind)) {
        throw new UserError(`--kind must be one of ${KINDS.join(', ')} (got ${flags.kind})`);
      }
      const results = await withDatabase(config(), (handle) => ingestWithProgress(handle, config(), files, { kind: flags.kind as IngestKind | undefined, json: flags.json === true }));
      if (flags.json) {
        printJson({
          files: results.map((r) => ({ file: r.file, kind: r.kind, accepted: r.accepted, rejected: r.rejected, duplicates: r.duplicates, status: r.status, ...(r.redacted ? { redacted: r.redacted } : {}), ...(r.error ? { error: r.error } : {}) })),
        });
      } else {
        for (const r of results) say(describeResult(r));
        const rejected = results.reduce((n, r) => n + r.rejected, 0);
        if (rejected > 0) say(`Rejected rows are kept with file, line, reason and raw text in the rejected_rows table.`);
      }
      if (results.some((r) => r.status === 'failed')) process.exitCode = 1;
    });
}


