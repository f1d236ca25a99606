import { GithubCredentialsProvider } from '@backstage/integration';
import { SecretScrubber } from '@internal/plugin-platform-node';

/**
 * A GitHub credentials provider whose every token (a configured token, or a
 * GitHub App installation token minted at runtime) is masked by the
 * scrubber before the caller can use it, so GitHub echoing it back in an
 * error message never carries it further.
 *
 * @public
 */
export function scrubbedCredentialsProvider(
  provider: GithubCredentialsProvider,
  scrubber: SecretScrubber,
): GithubCredentialsProvider {
  return {
    async getCredentials(options) {
      const credentials = await provider.getCredentials(options);
      scrubber.add(
        credentials.token,
        ...Object.values(credentials.headers ?? {}).map(value =>
          value.replace(/^(bearer|token|basic)\s+/i, ''),
        ),
      );
      return credentials;
    },
  };
}
