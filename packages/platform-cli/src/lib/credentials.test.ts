import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  credentialsFile,
  normalizeBackendUrl,
  readCredentials,
  saveCredentials,
} from './credentials';

describe('credentials', () => {
  const originalEnv = process.env;
  let home: string;

  // The fallback to ~/.config is covered by login.test.ts: os.homedir() does
  // not read the process.env of a Jest test.
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'platform-cli-'));
    process.env = { XDG_CONFIG_HOME: home };
  });

  afterEach(async () => {
    process.env = originalEnv;
    await rm(home, { recursive: true, force: true });
  });

  it('lives under XDG_CONFIG_HOME', () => {
    expect(credentialsFile()).toBe(join(home, 'platform', 'config.json'));
  });

  it('saves a file only the user can read, replacing a wider one', async () => {
    const file = credentialsFile();
    await saveCredentials({ url: 'https://a.example.com' });
    await chmod(file, 0o644);

    await saveCredentials({ url: 'https://b.example.com', token: 't' });

    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, 'platform'))).mode & 0o777).toBe(0o700);
    expect(await readCredentials()).toEqual({
      url: 'https://b.example.com',
      token: 't',
    });
  });

  it('prefers PLATFORM_URL and PLATFORM_TOKEN to the saved values', async () => {
    await saveCredentials({ url: 'https://a.example.com', token: 'saved' });
    process.env.PLATFORM_TOKEN = 'from-env';

    expect(await readCredentials()).toEqual({
      url: 'https://a.example.com',
      token: 'from-env',
    });
  });

  it('never sends the saved token to another URL', async () => {
    await saveCredentials({ url: 'https://a.example.com', token: 'saved' });
    process.env.PLATFORM_URL = 'https://b.example.com/';

    expect(await readCredentials()).toEqual({
      url: 'https://b.example.com',
      token: undefined,
    });
  });

  it('asks for a login when there is no URL', async () => {
    await expect(readCredentials()).rejects.toThrow(
      'No backend URL: run platform login --url URL, or set PLATFORM_URL',
    );
  });

  it('names the file when it is not JSON', async () => {
    await saveCredentials({ url: 'https://a.example.com' });
    await writeFile(credentialsFile(), 'url: https://a.example.com');

    await expect(readCredentials()).rejects.toThrow(
      `${credentialsFile()} is not valid JSON; run platform login again to replace it`,
    );
  });

  it.each([
    ['https://backstage.example.com/', 'https://backstage.example.com'],
    ['http://localhost:7007', 'http://localhost:7007'],
  ])('stores %s as %s', (value, stored) => {
    expect(normalizeBackendUrl(value)).toBe(stored);
  });

  it.each(['backstage.example.com', 'ftp://backstage.example.com', ''])(
    'rejects the URL %j',
    value => {
      expect(() => normalizeBackendUrl(value)).toThrow(
        `The backend URL ${JSON.stringify(
          value,
        )} is not an absolute http or https URL`,
      );
    },
  );
});
