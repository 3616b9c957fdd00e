/**
 * A fresh, migrated database per test file in the test run's Postgres server:
 *   const handle = await createTestDatabase();   // in beforeAll
 *   await dropTestDatabase(handle);               // in afterAll
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { connect, type DatabaseHandle } from '../../db/connection.js';

export interface TestDatabase extends DatabaseHandle {
  name: string;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`create database ${name}`));
  const url = new URL(inject('pgAdminUrl'));
  url.pathname = `/${name}`;
  const handle = await connect(url.toString());
  return { ...handle, name };
}

export async function dropTestDatabase(handle: TestDatabase): Promise<void> {
  await handle.close();
  await admin((c) => c.query(`drop database if exists ${handle.name} with (force)`));
}
