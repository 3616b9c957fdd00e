import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';

describe('loadConfig', () => {
  it('loadConfig({}) uses the embedded database under .needloop', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeNull();
    expect(config.home).toMatch(/\/\.needloop$/);
    expect(config.embeddedPort).toBe(54329);
    expect(config.maxFieldBytes).toBe(65536);
    expect(config.pii).toEqual({ mode: 'redact', key: null });
  });

  it('names the variable and what would be valid', () => {
    expect(() => loadConfig({ NEEDLOOP_PG_PORT: '80' })).toThrow(new ConfigError('NEEDLOOP_PG_PORT="80" is not valid: expected an integer from 1024 to 65535'));
    expect(() => loadConfig({ DATABASE_URL: 'mysql://db' })).toThrow(ConfigError);
    expect(() => loadConfig({ NEEDLOOP_PII: 'mask' })).toThrow(new ConfigError('NEEDLOOP_PII="mask" is not valid: expected redact, hash or keep'));
    expect(() => loadConfig({ NEEDLOOP_PII: 'hash' })).toThrow(/NEEDLOOP_PII=hash needs NEEDLOOP_PII_KEY/);
    expect(loadConfig({ NEEDLOOP_PII: 'hash', NEEDLOOP_PII_KEY: 'sixteen-chars-ok' }).pii).toEqual({ mode: 'hash', key: 'sixteen-chars-ok' });
  });
});
