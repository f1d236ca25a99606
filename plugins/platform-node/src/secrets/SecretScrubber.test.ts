import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { SecretScrubber } from './SecretScrubber';

jest.setTimeout(60_000);

const SECRET = 'canary-5b7e2d91c4a84f0e';

describe('SecretScrubber', () => {
  it('masks every occurrence of a known value', () => {
    const scrubber = SecretScrubber.create({ secrets: [SECRET] });
    expect(
      scrubber.scrub(`Bad credentials: ${SECRET} (again: ${SECRET}).`),
    ).toBe('Bad credentials: *** (again: ***).');
  });

  it('masks values added later, such as a token just handed out', () => {
    const scrubber = SecretScrubber.create();
    expect(scrubber.scrub(`x ${SECRET} y`)).toBe(`x ${SECRET} y`);
    scrubber.add(SECRET, undefined);
    expect(scrubber.scrub(`x ${SECRET} y`)).toBe('x *** y');
  });

  it('leaves short values alone rather than mangle text', () => {
    const scrubber = SecretScrubber.create({ secrets: ['repo', 'abc1234'] });
    expect(scrubber.scrub('the repo abc1234')).toBe('the repo abc1234');
  });

  it('takes a value with regular expression characters literally', () => {
    const secret = 'a.b*c+d?(e)[f]{g}|h\\i$^';
    const scrubber = SecretScrubber.create({ secrets: [secret] });
    expect(scrubber.scrub(`<${secret}>`)).toBe('<***>');
    expect(scrubber.scrub('aXbbbcdde')).toBe('aXbbbcdde');
  });

  it('masks overlapping secrets as a whole', () => {
    const scrubber = SecretScrubber.create({
      secrets: ['first-secret-AAAA', 'AAAA-second-secret'],
    });
    expect(scrubber.scrub('x first-secret-AAAA-second-secret y')).toBe(
      'x *** y',
    );
  });

  it.each([
    [
      'a classic GitHub token',
      'token ghp_16C7e42F292c6912E7710c838347Ae178B4a was revoked',
      'token *** was revoked',
    ],
    [
      'a GitHub App installation token',
      'ghs_abcdefghijklmnopqrstuvwxyz0123456789',
      '***',
    ],
    [
      'a fine-grained GitHub token',
      'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz',
      '***',
    ],
    [
      'an authorization header',
      'Authorization: token abcdef0123456789',
      'Authorization: token ***',
    ],
    [
      'a serialized authorization header',
      '{"authorization":"Bearer abc.def.ghi"}',
      '{"authorization":"Bearer ***"}',
    ],
    [
      'a bearer token in prose',
      'sent Bearer abcdef0123456789== to the server',
      'sent Bearer *** to the server',
    ],
    [
      'a JSON Web Token',
      'jwt eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJl end',
      'jwt *** end',
    ],
    [
      'a PEM private key',
      'key -----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY----- end',
      'key *** end',
    ],
  ])('masks %s even when nobody configured it', (_, text, expected) => {
    expect(SecretScrubber.create().scrub(text)).toBe(expected);
  });

  it.each([
    'GitHub refused to delete acme/svc: the token lacks the delete_repo scope',
    'Could not create namespace payments on cluster prod: Bearer token missing',
    'Authorization header required',
    'Rolled back github:repository github.test/acme/svc (https://github.test/acme/svc): deleted.',
  ])('leaves ordinary text alone: %s', text => {
    expect(SecretScrubber.create().scrub(text)).toBe(text);
  });

  it('scrubs every string and key of a JSON value', () => {
    const scrubber = SecretScrubber.create({ secrets: [SECRET] });
    expect(
      scrubber.scrubValue({
        url: `https://x/?t=${SECRET}`,
        list: [SECRET, 1, true, null, { [SECRET]: 'ok' }],
      }),
    ).toEqual({
      url: 'https://x/?t=***',
      list: ['***', 1, true, null, { '***': 'ok' }],
    });
  });

  it.each([
    ['InputError', InputError],
    ['ConflictError', ConflictError],
    ['NotAllowedError', NotAllowedError],
    ['NotFoundError', NotFoundError],
  ])('keeps the class of a %s', (name, ErrorClass) => {
    const scrubbed = SecretScrubber.create({ secrets: [SECRET] }).scrubError(
      new ErrorClass(`refused ${SECRET}`),
    );
    expect(scrubbed).toBeInstanceOf(ErrorClass);
    expect(scrubbed.name).toBe(name);
    expect(scrubbed.message).toBe('refused ***');
    expect(scrubbed.stack).toBe(`${name}: refused ***`);
  });

  it('passes on nothing of an API client error but its name and scrubbed message', () => {
    const raw = Object.assign(new Error(`Bad credentials ${SECRET}`), {
      name: 'HttpError',
      status: 401,
      request: { headers: { authorization: `token ${SECRET}` } },
      response: { data: { message: `Bad credentials ${SECRET}` } },
      cause: new Error(SECRET),
    });
    const scrubbed = SecretScrubber.create({ secrets: [SECRET] }).scrubError(
      raw,
    );
    expect(scrubbed.name).toBe('HttpError');
    expect(scrubbed.message).toBe('Bad credentials ***');
    expect(scrubbed.stack).toBe('HttpError: Bad credentials ***');
    for (const key of ['status', 'request', 'response']) {
      expect(scrubbed).not.toHaveProperty(key);
    }
    expect(scrubbed.cause).toBeUndefined();
  });

  it('turns a thrown non-error into a scrubbed error', () => {
    const scrubber = SecretScrubber.create({ secrets: [SECRET] });
    expect(scrubber.scrubError(`failed with ${SECRET}`).message).toBe(
      'failed with ***',
    );
  });

  describe('fromConfig', () => {
    it('finds the values app-config marks @visibility secret', async () => {
      const scrubber = await SecretScrubber.fromConfig({
        config: new ConfigReader({
          app: { baseUrl: 'http://backstage.test' },
          integrations: {
            github: [{ host: 'github.test', token: 'github-config-token-1' }],
          },
          platform: {
            kubernetes: {
              clusters: [
                {
                  name: 'prod',
                  url: 'https://prod.test',
                  serviceAccountToken: 'platform-cluster-token-1',
                },
              ],
            },
          },
          kubernetes: {
            clusterLocatorMethods: [
              {
                type: 'config',
                clusters: [
                  {
                    name: 'prod',
                    url: 'https://prod.test',
                    authProvider: 'serviceAccount',
                    serviceAccountToken: 'stock-cluster-token-1',
                  },
                ],
              },
            ],
          },
        }),
        logger: mockServices.logger.mock(),
        secrets: ['explicit-value-1'],
      });
      expect(
        scrubber.scrub(
          'github-config-token-1 platform-cluster-token-1 stock-cluster-token-1 explicit-value-1 http://backstage.test',
        ),
      ).toBe('*** *** *** *** http://backstage.test');
    });
  });
});
