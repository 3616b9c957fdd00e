/**
 * The embedded database's credentials, one random pair per installation: the superuser's
 * password (needloop uses it only to migrate and to grant) and the password of the role
 * needloop works as. Kept in `<home>/db-credentials.json`, mode 0600: another local user
 * can neither read it nor, without it, connect.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface EmbeddedSecrets {
  superuser: string;
  app: string;
}

/** The password of databases embedded by needloop before it kept credentials. */
export const LEGACY_PASSWORD = 'needloop';

const FILE = 'db-credentials.json';
const secret = () => randomBytes(24).toString('base64url');

function parse(text: string, path: string): EmbeddedSecrets {
  try {
    const value = JSON.parse(text) as Partial<EmbeddedSecrets>;
    if (typeof value.superuser === 'string' && typeof value.app === 'string' && value.superuser !== '' && value.app !== '') return { superuser: value.superuser, app: value.app };
  } catch {
    // reported below
  }
  throw new Error(`${path} is not needloop's database credentials ({"superuser", "app"}); restore it from a backup, or move the home folder aside to start afresh`);
}

export async function embeddedSecrets(home: string): Promise<EmbeddedSecrets> {
  const path = join(home, FILE);
  await mkdir(home, { recursive: true });
  try {
    // 'wx': created by exactly one process; a second one reads what the first wrote.
    const fresh = { superuser: secret(), app: secret() };
    await writeFile(path, `${JSON.stringify(fresh)}\n`, { flag: 'wx', mode: 0o600 });
    return fresh;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  let text = await readFile(path, 'utf8');
  for (let i = 0; text.trim() === '' && i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50)); // being written by another process
    text = await readFile(path, 'utf8');
  }
  await chmod(path, 0o600);
  return parse(text, path);
}
