import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { ConfigError, limits, loadConfig } from '../../server/config.js';

describe('loadConfig', () => {
  it('with no settings at all, runs embedded under ./data with SQLite, local folders and an outbox', () => {
    const c = loadConfig({});
    expect(c.dataDir).toBe(path.resolve('./data'));
    expect(c.database).toEqual({ kind: 'sqlite', file: path.resolve('./data/kinko.sqlite') });
    expect(c.storage).toEqual({ kind: 'local', dropsDir: path.resolve('./data/drops'), vaultDir: path.resolve('./data/vault'), bundlesDir: path.resolve('./data/bundles') });
    expect(c.mail.kind).toBe('outbox');
    expect(c.port).toBe(3000);
    expect(c.limits).toBe(limits);
    expect(c.uploadEncrypt).toBe('thread');
  });

  it('KINKO_DATA_DIR moves every embedded location', () => {
    const c = loadConfig({ KINKO_DATA_DIR: '/tmp/kinko-x' });
    expect(c.database).toEqual({ kind: 'sqlite', file: '/tmp/kinko-x/kinko.sqlite' });
    expect(c.storage.kind === 'local' && c.storage.vaultDir).toBe('/tmp/kinko-x/vault');
  });

  it('is frozen, so nothing can change a setting after start-up', () => {
    const c = loadConfig({});
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.database)).toBe(true);
    expect(() => {
      (c as { port: number }).port = 1;
    }).toThrow();
  });

  it('a postgres URL switches the database', () => {
    const c = loadConfig({ KINKO_DATABASE_URL: 'postgres://kinko:pw@db:5432/kinko' });
    expect(c.database).toEqual({ kind: 'postgres', url: 'postgres://kinko:pw@db:5432/kinko' });
  });

  it.each([
    [{ KINKO_DATABASE_URL: 'mysql://x' }, 'KINKO_DATABASE_URL', 'postgres://'],
    [{ KINKO_PORT: 'eighty' }, 'KINKO_PORT', 'port'],
    [{ KINKO_STORAGE: 'ftp' }, 'KINKO_STORAGE', '"local" or "s3"'],
    [{ KINKO_STORAGE: 's3' }, 'KINKO_S3_DROPS_BUCKET', 'bucket'],
    [{ KINKO_STORAGE: 's3', KINKO_S3_DROPS_BUCKET: 'same', KINKO_S3_VAULT_BUCKET: 'same' }, 'KINKO_S3_VAULT_BUCKET', 'separate'],
    [{ KINKO_SMTP_URL: 'http://mail' }, 'KINKO_SMTP_URL', 'smtp://'],
    [{ KINKO_SECRET: 'short' }, 'KINKO_SECRET', '32 bytes'],
    [{ KINKO_UPLOAD_ENCRYPT: 'gpg' }, 'KINKO_UPLOAD_ENCRYPT', '"thread", "inline" or "openpgpjs"'],
  ])('a wrong setting %j names %s and what it expects', (env, variable, expects) => {
    let err: unknown;
    try {
      loadConfig(env as Record<string, string>);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as ConfigError).message;
    expect(msg).toContain(variable);
    expect(msg).toContain(expects);
  });

  it('a full S3 setting is accepted', () => {
    const c = loadConfig({
      KINKO_STORAGE: 's3', KINKO_S3_ENDPOINT: 'http://minio:9000', KINKO_S3_DROPS_BUCKET: 'kinko-drops',
      KINKO_S3_VAULT_BUCKET: 'kinko-vault', KINKO_S3_FORCE_PATH_STYLE: 'true',
      KINKO_S3_BUNDLES_BUCKET: 'kinko-bundles',
    });
    expect(c.storage).toMatchObject({ kind: 's3', dropsBucket: 'kinko-drops', vaultBucket: 'kinko-vault', forcePathStyle: true });
  });
});
