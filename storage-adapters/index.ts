/**
 * kinko's storage locations, built in one place from config: `drops`
 * (incoming ciphertext), `vault` (number records) and `bundles` (sealed
 * year-end bundles). They are always separate folders or buckets, so the
 * vault stands alone (P2).
 */
import { createLocalAdapter } from './local.js';
import { createLocalPackAdapter } from './local-pack.js';
import type { StorageAdapter } from './types.js';

/** Where the two locations are: what `buildStorage` needs of kinko's config (server/config.ts reads it from the environment). */
export type StorageSettings = Readonly<
  | { kind: 'local'; dropsDir: string; vaultDir: string; bundlesDir: string }
  | {
      kind: 's3';
      endpoint?: string;
      region: string;
      dropsBucket: string;
      vaultBucket: string;
      /** Sealed year-end bundles (issue 15). */
      bundlesBucket: string;
      accessKeyId?: string;
      secretAccessKey?: string;
      forcePathStyle: boolean;
    }
>;

/** The part of the config storage reads; the adapters know nothing else of the server. */
export interface StorageConfig {
  storage: StorageSettings;
  publicUrl: string;
  limits: { storage: { minFreeBytes: number } };
}

export interface Storage {
  drops: StorageAdapter;
  vault: StorageAdapter;
  /** Sealed year-end bundles: OpenPGP messages only, never plaintext (issue 15). */
  bundles: StorageAdapter;
}

/**
 * Async because the S3 adapter (and with it the AWS SDK, ≈ 20 MiB of heap)
 * is imported only when KINKO_STORAGE=s3: the embedded default never loads it.
 */
export async function buildStorage(config: StorageConfig, opts: { signingSecret: string }): Promise<Storage> {
  const s = config.storage;
  if (s.kind === 'local') {
    const common = { signingSecret: opts.signingSecret, baseUrl: config.publicUrl, minFreeBytes: config.limits.storage.minFreeBytes };
    // Drops are whole files, one each; vault records (40 bytes, thousands
    // per ingest) are rows of one packed file in the vault folder (local-pack.ts).
    return {
      drops: createLocalAdapter({ name: 'drops', root: s.dropsDir, ...common }),
      vault: createLocalPackAdapter({ name: 'vault', root: s.vaultDir, ...common }),
      bundles: createLocalAdapter({ name: 'bundles', root: s.bundlesDir, ...common }),
    };
  }
  const { createS3Adapter } = await import('./s3.js');
  const s3 = (name: string, bucket: string) =>
    createS3Adapter({
      name,
      bucket,
      region: s.region,
      endpoint: s.endpoint,
      forcePathStyle: s.forcePathStyle,
      accessKeyId: s.accessKeyId,
      secretAccessKey: s.secretAccessKey,
    });
  return { drops: s3('drops', s.dropsBucket), vault: s3('vault', s.vaultBucket), bundles: s3('bundles', s.bundlesBucket) };
}

export type { ObjectInfo, PutOptions, PutResult, StorageAdapter } from './types.js';
export { StorageError, StorageExistsError, StorageKeyError, StorageNotFoundError, StorageUrlError } from './errors.js';
export { assertValidKey, assertValidPrefix } from './keys.js';
export { openSignedDownload, type SignedDownload } from './signed-url.js';
export { contentDisposition } from './content-disposition.js';
export { createLocalAdapter, type LocalAdapterOptions } from './local.js';
export { createLocalPackAdapter, type LocalPackOptions } from './local-pack.js';
// createS3Adapter: import it from './s3.js' (not re-exported here, so importing this index does not load the AWS SDK).
export type { S3Adapter, S3AdapterOptions } from './s3.js';
