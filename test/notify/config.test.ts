import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../../server/config.js';

describe('KINKO_NOTIFY_BATCH_SECONDS', () => {
  it('defaults to a 300-second window', () => {
    expect(loadConfig({}).notifyBatchSeconds).toBe(300);
  });

  it('takes whole seconds, 0 meaning "send at the next tick"', () => {
    expect(loadConfig({ KINKO_NOTIFY_BATCH_SECONDS: '60' }).notifyBatchSeconds).toBe(60);
    expect(loadConfig({ KINKO_NOTIFY_BATCH_SECONDS: '0' }).notifyBatchSeconds).toBe(0);
  });

  it.each(['-1', '1.5', 'five', '86401'])('refuses %p and names the variable', (v) => {
    expect(() => loadConfig({ KINKO_NOTIFY_BATCH_SECONDS: v })).toThrow(ConfigError);
    expect(() => loadConfig({ KINKO_NOTIFY_BATCH_SECONDS: v })).toThrow(/KINKO_NOTIFY_BATCH_SECONDS/);
  });
});
