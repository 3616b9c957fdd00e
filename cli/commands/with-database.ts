import type { Config } from '../../config.js';
import { openDatabase, type DatabaseHandle } from '../../db/connection.js';

/** Opens the configured database for the length of one command. */
export async function withDatabase<T>(config: Config, work: (handle: DatabaseHandle) => Promise<T>): Promise<T> {
  const handle = await openDatabase(config);
  try {
    return await work(handle);
  } finally {
    await handle.close();
  }
}
