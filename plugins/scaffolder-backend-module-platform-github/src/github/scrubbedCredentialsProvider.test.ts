import { GithubCredentialsProvider } from '@backstage/integration';
import { SecretScrubber } from '@internal/plugin-platform-node';
import { scrubbedCredentialsProvider } from './scrubbedCredentialsProvider';

describe('scrubbedCredentialsProvider', () => {
  it('masks every token it hands out from then on', async () => {
    const scrubber = SecretScrubber.create();
    const installationToken = 'v1.0123456789abcdef0123456789abcdef01234567';
    const provider: GithubCredentialsProvider = {
      getCredentials: async () => ({
        type: 'app',
        token: installationToken,
        headers: { Authorization: `Bearer ${installationToken}` },
      }),
    };
    expect(scrubber.scrub(`echo ${installationToken}`)).toBe(
      `echo ${installationToken}`,
    );
    const credentials = await scrubbedCredentialsProvider(
      provider,
      scrubber,
    ).getCredentials({ url: 'https://github.test/acme/x' });
    expect(credentials.token).toBe(installationToken);
    expect(scrubber.scrub(`echo ${installationToken}`)).toBe('echo ***');
  });
});
