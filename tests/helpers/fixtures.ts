/**
 * Per-file fixtures that register their own setup and teardown:
 *   const db = useTestDatabase();   // db.handle inside tests
 *   const files = useTempFiles();   // files.dir, await files.file(name, content)
 */
import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, dropTestDatabase, type TestDatabase } from './database.js';
import { tempDir } from './files.js';

export function useTestDatabase(): { readonly handle: TestDatabase } {
  let handle: TestDatabase | undefined;
  beforeAll(async () => {
    handle = await createTestDatabase();
  });
  afterAll(async () => {
    if (handle !== undefined) await dropTestDatabase(handle);
  });
  return {
    get handle() {
      if (handle === undefined) throw new Error('useTestDatabase: the database exists only inside tests');
      return handle;
    },
  };
}

export function useTempFiles(): { readonly dir: string; file(name: string, content: string | Buffer): Promise<string> } {
  let files: Awaited<ReturnType<typeof tempDir>> | undefined;
  beforeAll(async () => {
    files = await tempDir();
  });
  afterAll(async () => {
    await files?.cleanup();
  });
  const current = () => {
    if (files === undefined) throw new Error('useTempFiles: the folder exists only inside tests');
    return files;
  };
  return {
    get dir() {
      return current().dir;
    },
    file: (name, content) => current().file(name, content),
  };
}
