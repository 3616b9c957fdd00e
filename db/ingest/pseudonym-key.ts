/**
 * The secret that identifiers holding personal data are pseudonymised with (analytics/pii.ts
 * `pseudonym`): NEEDLOOP_PII_KEY when set — the same on every machine that ingests, or one
 * user's pseudonyms would differ between them — else the home's own key file, `pii-key`,
 * made on first need (32 random bytes, hex, readable by its owner only) and kept apart from
 * the database: whoever holds the data without the key cannot test a guessed e-mail address
 * against a pseudonym.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PII_KEY_FILE = 'pii-key';

export function identifierKey(config: { pii: { key: string | null }; home: string }): () => string {
  let key: string | null = config.pii.key;
  return () => {
    if (key !== null) return key;
    const file = join(config.home, PII_KEY_FILE);
    try {
      mkdirSync(config.home, { recursive: true });
      writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot make the key for pseudonymising identifiers, ${file}: ${(e as Error).message} (or set NEEDLOOP_PII_KEY)`);
    }
    const read = readFileSync(file, 'utf8').split('\n')[0].trim();
    if (read.length < 16) throw new Error(`${file}: not a key (at least 16 characters on its first line); remove it to make a new one, or set NEEDLOOP_PII_KEY`);
    key = read;
    return key;
  };
}
