/**
 * Segmentation of many users without bringing them into node: their features sit in a
 * temporary table on one connection; node reads the features' means and spreads and a
 * seeded sample of users to fit k-means on, then every user is assigned to the nearest
 * centroid in SQL, and the segments' sizes and means are counted there.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../schema.js';
import { rowsToMatrix, userFeatureQuery, type UserFeatures } from './user-features.js';
import type { TimeWindow } from './time-window.js';

export interface UserFeatureTable {
  /** The connection holding the table. */
  db: Kysely<Database>;
  users: number;
  features: string[];
  /** The table's column of each feature. */
  columns: string[];
  /** Each feature's mean and population standard deviation over every user (nulls left out). */
  means: number[];
  stds: number[];
}

/** Runs WORK with the features of the users active in WINDOW in a temporary table (dropped afterwards). */
export async function withUserFeatureTable<T>(db: Kysely<Database>, window: TimeWindow, work: (table: UserFeatureTable) => Promise<T>): Promise<T> {
  return db.connection().execute(async (conn) => {
    const { query, features, columns } = await userFeatureQuery(conn, window);
    await sql`drop table if exists pg_temp.needloop_user_features`.execute(conn);
    await sql`drop table if exists pg_temp.needloop_user_clusters`.execute(conn);
    await sql`create temp table needloop_user_features as ${query}`.execute(conn);
    try {
      const parts = columns.map((c, i) => sql`avg(${sql.ref(c)})::float8 as ${sql.ref(`m${i}`)}, coalesce(stddev_pop(${sql.ref(c)}), 0)::float8 as ${sql.ref(`s${i}`)}`);
      const { rows } = await sql<Record<string, number | null>>`select count(*)::int as users, ${sql.join(parts)} from needloop_user_features`.execute(conn);
      const row = rows[0];
      return await work({
        db: conn,
        users: Number(row.users),
        features,
        columns,
        // A column no user has a value in standardises to 0, as standardize() does.
        means: columns.map((_, i) => Number(row[`m${i}`] ?? 0)),
        stds: columns.map((_, i) => Number(row[`s${i}`] ?? 0)),
      });
    } finally {
      await sql`drop table if exists pg_temp.needloop_user_features`.execute(conn);
      await sql`drop table if exists pg_temp.needloop_user_clusters`.execute(conn);
    }
  });
}

/** A seeded sample of SIZE users (by a hash of their id and SEED; all of them when there are no more), in user id order. */
export async function sampleUserFeatures(table: UserFeatureTable, size: number, seed: string): Promise<Omit<UserFeatures, 'features'>> {
  const { rows } = size >= table.users
    ? await sql<Record<string, string | number | null>>`select * from needloop_user_features order by user_id`.execute(table.db)
    : await sql<Record<string, string | number | null>>`
    select * from (select * from needloop_user_features order by md5(user_id || ${seed}), user_id limit ${size}) s order by user_id`.execute(table.db);
  return rowsToMatrix(rows, table.columns);
}

/** A feature's z-score as standardize() gives it: a missing value, or a constant column, is 0. */
function zScore(column: string, mean: number, std: number): RawBuilder<unknown> {
  if (!(std > 0)) return sql`0::float8`;
  return sql`coalesce((${sql.ref(column)} - ${mean}::float8) / ${std}::float8, 0)`;
}

/**
 * Assigns every user of the table to the nearest of CENTROIDS (k × features, standardised,
 * row-major; ties to the lowest index, as kmeans does) and returns each cluster's size and
 * its users' mean of each feature in the feature's own unit (NaN where none has a value).
 */
export async function assignToNearest(table: UserFeatureTable, centroids: Float64Array, k: number): Promise<{ sizes: number[]; means: number[][] }> {
  const d = table.features.length;
  const distances = Array.from({ length: k }, (_, j) =>
    sql.join(table.features.map((_, c) => sql`(${zScore(table.columns[c], table.means[c], table.stds[c])} - ${centroids[j * d + c]}::float8) ^ 2`), sql` + `));
  // `offset 0` keeps the distances a subquery of their own: inlined, every d_j in the case
  // below would be computed again for each comparison (k² distances a user instead of k).
  const nearest = k === 1
    ? sql`0`
    : sql`case ${sql.join(distances.slice(0, -1).map((_, j) => sql`when ${sql.ref(`d${j}`)} <= least(${sql.join(distances.map((_, i) => sql.ref(`d${i}`)))}) then ${sql.lit(j)}`), sql` `)} else ${sql.lit(k - 1)} end`;
  await sql`create temp table needloop_user_clusters as
    select user_id, ${nearest}::int as cluster
      from (select user_id, ${sql.join(distances.map((dist, j) => sql`${dist} as ${sql.ref(`d${j}`)}`))} from needloop_user_features offset 0) d`.execute(table.db);
  const averages = table.columns.map((column, c) => sql`avg(f.${sql.ref(column)})::float8 as ${sql.ref(`a${c}`)}`);
  const { rows } = await sql<Record<string, number | null>>`
    select a.cluster, count(*)::int as size, ${sql.join(averages)}
      from needloop_user_clusters a join needloop_user_features f using (user_id) group by a.cluster`.execute(table.db);
  const sizes = new Array<number>(k).fill(0);
  const means = Array.from({ length: k }, () => new Array<number>(d).fill(NaN));
  for (const row of rows) {
    const j = Number(row.cluster);
    sizes[j] = Number(row.size);
    means[j] = table.features.map((_, c) => (row[`a${c}`] === null ? NaN : Number(row[`a${c}`])));
  }
  return { sizes, means };
}

/** Stores every assigned user's segment (cluster j → segment ids[j]) in a segment run. */
export async function storeAssignedSegments(db: Kysely<Database>, segmentRunId: string, ids: readonly number[]): Promise<void> {
  const segment = sql`case a.cluster ${sql.join(ids.map((id, j) => sql`when ${sql.lit(j)} then ${sql.lit(id)}`), sql` `)} end`;
  await sql`insert into user_segments (segment_run_id, user_id, segment_id) select ${segmentRunId}, a.user_id, ${segment} from needloop_user_clusters a`.execute(db);
}
