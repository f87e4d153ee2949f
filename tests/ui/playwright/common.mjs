// What the browser scripts share: their inputs from the environment, and Debian's chromium, launched the same way.
import { chromium } from 'playwright-core';

export const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`missing environment variable ${name}`);
  return value;
};

export function launchChromium() {
  return chromium.launch({
    executablePath: env('CHROMIUM', '/usr/bin/chromium'),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

// Run a browser journey and print what it saw as the last line of stdout (the pytest wrapper reads it): an error
// is reported in `seen.error`, after `onFailure` (a screenshot) had its chance; the browser always closes.
export async function journey(seen, body, onFailure) {
  const browser = await launchChromium();
  try {
    await body(browser);
  } catch (error) {
    seen.error = String(error && error.stack ? error.stack : error);
    await onFailure().catch(() => {});
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(seen));
}
