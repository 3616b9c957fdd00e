// Every migration, by name. Names sort in the order they run; add new ones at the end.
import type { Migration } from 'kysely';
import * as analysis from './2026-11-23T21-00-analysis.js';
import * as drift from './2026-11-23T22-00-drift.js';
import * as ingest from './2026-11-23T20-00-ingest.js';
import * as models from './2026-11-24T00-00-models.js';
import * as pipeline from './2026-11-24T01-00-pipeline.js';
import * as audit from './2026-11-24T02-00-audit.js';
import * as simulation from './2026-12-02T00-00-simulation.js';
import * as outOfScope from './2026-12-02T01-00-out-of-scope.js';
import * as access from './2026-12-02T02-00-access.js';
import * as ingestHardening from './2026-12-02T03-00-ingest-hardening.js';
import * as userGroups from './2026-12-02T04-00-user-groups.js';
import * as needCandidates from './2026-12-02T05-00-need-candidates.js';
import * as runNight from './2026-12-02T06-00-run-night.js';
import * as stepTimes from './2026-12-02T07-00-step-times.js';
import * as usagePartitions from './2026-12-02T08-00-usage-partitions.js';
import * as usageKeyByTime from './2026-12-02T09-00-usage-key-by-time.js';
import * as decisions from './2026-12-07T00-00-decisions.js';
import * as sourceWatermarks from './2026-12-07T01-00-source-watermarks.js';

export const migrations: Record<string, Migration> = {
  '2026-11-23T20-00-ingest': ingest,
  '2026-11-23T21-00-analysis': analysis,
  '2026-11-23T22-00-drift': drift,
  '2026-11-24T00-00-models': models,
  '2026-11-24T01-00-pipeline': pipeline,
  '2026-11-24T02-00-audit': audit,
  '2026-12-02T00-00-simulation': simulation,
  '2026-12-02T01-00-out-of-scope': outOfScope,
  '2026-12-02T02-00-access': access,
  '2026-12-02T03-00-ingest-hardening': ingestHardening,
  '2026-12-02T04-00-user-groups': userGroups,
  '2026-12-02T05-00-need-candidates': needCandidates,
  '2026-12-02T06-00-run-night': runNight,
  '2026-12-02T07-00-step-times': stepTimes,
  '2026-12-02T08-00-usage-partitions': usagePartitions,
  '2026-12-02T09-00-usage-key-by-time': usageKeyByTime,
  '2026-12-07T00-00-decisions': decisions,
  '2026-12-07T01-00-source-watermarks': sourceWatermarks,
};
