import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A temporary folder for a test file's inputs; `cleanup` removes it. */
export async function tempDir(prefix = 'needloop-test-') {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return {
    dir,
    async file(name: string, content: string | Buffer): Promise<string> {
      const path = join(dir, name);
      await writeFile(path, content);
      return path;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
