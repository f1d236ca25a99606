import { Command } from 'commander';
import { normalizeBackendUrl, saveCredentials } from '../lib/credentials';

export function registerLoginCommands(program: Command): void {
  program
    .command('login')
    .description('Save the backend URL and token that the other commands use')
    .requiredOption(
      '--url <url>',
      'the Backstage backend, such as https://backstage.example.com',
    )
    .option(
      '--token <token>',
      'a token the backend accepts, such as a static external access token',
    )
    .addHelpText(
      'after',
      `
Saves to $XDG_CONFIG_HOME/platform/config.json (or ~/.config/platform/config.json),
readable only by you (mode 0600). Without --token, no token is saved.

PLATFORM_URL and PLATFORM_TOKEN, when set, take precedence over the saved
values, as in CI. A saved token is sent only to the URL it was saved with.
Setting PLATFORM_TOKEN also keeps the token out of your shell history.

Example:
  platform login --url https://backstage.example.com --token "$TOKEN"`,
    )
    .action(async (options: { url: string; token?: string }) => {
      const url = normalizeBackendUrl(options.url);
      const file = await saveCredentials({ url, token: options.token });
      process.stdout.write(
        `Saved the URL${
          options.token ? ' and token' : ''
        } for ${url} to ${file}\n`,
      );
    });
}
