import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe } from '@jest/globals';
import type { Express } from 'express';
import { generate } from 'otplib';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Clock } from '../../server/deps.js';
import { limits } from '../../server/config.js';

/**
 * Real Chromium for end-to-end tests: the Debian package (/usr/bin/chromium,
 * installed by .ci/run), driven by playwright-core. Never a downloaded browser.
 */
export const CHROMIUM = process.env.KINKO_TEST_CHROMIUM ?? '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** `describe` that skips with a visible reason when Chromium is absent — but only outside CI. */
export function describeWithChromium(): typeof describe {
  if (fs.existsSync(CHROMIUM) || process.env.CI === 'true') return describe;
  console.warn(`[kinko tests] skipping: Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium)`);
  return describe.skip as unknown as typeof describe;
}

/** A fresh browser: playwright's launch() gives every run its own new, empty profile (user-data dir). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

/** Slows this page's network through the DevTools protocol, so an upload takes visible time. */
export async function throttle(page: Page, uploadBytesPerSecond: number): Promise<() => Promise<void>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 20,
    downloadThroughput: -1,
    uploadThroughput: uploadBytesPerSecond,
  });
  return async () => {
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();
  };
}

/**
 * The app's clock: real time plus an offset the test can move forward. Each
 * TOTP step's code is good once per account, so a test that signs in and then
 * steps up moves to the next step in between instead of waiting 30 s.
 */
export class MovableClock implements Clock {
  private offset = 0;
  now(): Date {
    return new Date(Date.now() + this.offset);
  }
  advance(ms: number): void {
    this.offset += ms;
  }
  nextTotpStep(): void {
    this.advance(limits.totp.stepSeconds * 1000);
  }
}

export function totpAt(secret: string, at: Date): Promise<string> {
  return generate({ secret: secret.replace(/\s+/g, ''), epoch: Math.floor(at.getTime() / 1000) });
}

/** The real app on a loopback port (a fixed one, chosen first, so KINKO_PUBLIC_URL can name it). */
export async function listenOn(app: Express, port: number): Promise<{ close(): Promise<void> }> {
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  if ((server.address() as AddressInfo).port !== port) throw new Error('listened on another port');
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** GnuPG as the office would use it: import the office secret key into a throwaway home, decrypt. */
export function gpgDecrypt(secretKeyArmored: string, cipher: Buffer): Buffer {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-e2e-gpg-'));
  const env = { ...process.env, GNUPGHOME: home };
  try {
    const imp = spawnSync('gpg', ['--batch', '--import'], { input: secretKeyArmored, env });
    if (imp.status !== 0) throw new Error(`gpg --import failed: ${imp.stderr.toString()}`);
    const dec = spawnSync('gpg', ['--batch', '--quiet', '--decrypt'], { input: cipher, env, maxBuffer: 256 * 1024 * 1024 });
    if (dec.status !== 0) throw new Error(`gpg --decrypt failed: ${dec.stderr.toString()}`);
    return dec.stdout;
  } finally {
    spawnSync('gpgconf', ['--kill', 'all'], { env });
    fs.rmSync(home, { recursive: true, force: true });
  }
}
