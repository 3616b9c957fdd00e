import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';

describe('loadConfig', () => {
  it('loadConfig({}) uses the embedded database under .needloop', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeNull();
    expect(config.home).toMatch(/\/\.needloop$/);
    expect(config.embeddedPort).toBe(54329);
    expect(config.maxFieldBytes).toBe(65536);
  });

  it('names the variable and what would be valid', () => {
    expect(() => loadConfig({ NEEDLOOP_PG_PORT: '80' })).toThrow(new ConfigError('NEEDLOOP_PG_PORT="80" is not valid: expected an integer from 1024 to 65535'));
    expect(() => loadConfig({ DATABASE_URL: 'mysql://db' })).toThrow(ConfigError);
  });
});
