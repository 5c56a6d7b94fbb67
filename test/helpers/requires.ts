import { describe } from '@jest/globals';

/**
 * `describe` for a suite that needs a real server. Outside CI an absent server
 * skips the suite with a visible reason; under CI=true the suite runs and fails.
 */
export function describeWith(envVar: string, what: string): typeof describe {
  if (process.env[envVar] || process.env.CI === 'true') return describe;
  console.warn(`[kinko tests] skipping: ${what} is not available (${process.env.KINKO_TEST_UNAVAILABLE ?? envVar + ' unset'})`);
  return describe.skip as unknown as typeof describe;
}
