import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/** Debian's Chromium; playwright-core drives it and never downloads a browser of its own. */
export const CHROMIUM_PATH = process.env.TESSERA_CHROMIUM_PATH ?? '/usr/bin/chromium';

const inCi = () => ['true', '1'].includes((process.env.CI ?? '').toLowerCase());

/**
 * Why the browser suite cannot run here, or null when it can. In CI a missing Chromium is a
 * failure (the caller throws this message), never a silent skip.
 */
export function chromiumUnavailable(): string | null {
  if (existsSync(CHROMIUM_PATH)) return null;
  const message = `Chromium not found at ${CHROMIUM_PATH}: install Debian's package (apt-get install -y chromium) or set TESSERA_CHROMIUM_PATH`;
  if (inCi()) throw new Error(message);
  return message;
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
