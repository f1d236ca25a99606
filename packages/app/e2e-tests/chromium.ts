/**
 * How the browser tests and the entity-page benchmark launch Debian's
 * Chromium: headless as root on a closed network, so no sandbox, and no
 * background services that would try to reach the internet.
 */
export const chromiumLaunchOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};
