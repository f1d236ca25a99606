import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../__testUtils__/runCli';

describe('platform login', () => {
  let home: string;

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'platform-cli-'));
  });

  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('saves the URL and token in a file only the user can read', async () => {
    const config = join(home, 'config');

    const result = await runCli(
      ['login', '--url', 'https://backstage.example.com/', '--token', 'secret'],
      { env: { HOME: home, XDG_CONFIG_HOME: config } },
    );

    const file = join(config, 'platform', 'config.json');
    expect(result).toEqual({
      code: 0,
      stdout: `Saved the URL and token for https://backstage.example.com to ${file}\n`,
      stderr: '',
    });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      url: 'https://backstage.example.com',
      token: 'secret',
    });
  });

  it('saves under ~/.config without XDG_CONFIG_HOME, and no token without --token', async () => {
    const result = await runCli(['login', '--url', 'http://localhost:7007'], {
      env: { HOME: home },
    });

    const file = join(home, '.config', 'platform', 'config.json');
    expect(result.stdout).toBe(
      `Saved the URL for http://localhost:7007 to ${file}\n`,
    );
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      url: 'http://localhost:7007',
    });
  });

  it.each([
    [
      ['login', '--url', 'backstage.example.com'],
      'error: The backend URL "backstage.example.com" is not an absolute http or https URL\n',
    ],
    [['login'], "error: required option '--url <url>' not specified\n"],
  ])('fails in one line for %j', async (args, stderr) => {
    expect(await runCli(args, { env: { HOME: home } })).toEqual({
      code: 1,
      stdout: '',
      stderr,
    });
  });
});
