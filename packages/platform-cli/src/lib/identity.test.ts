import { SignJWT } from 'jose';
import { userOfToken } from './identity';

const sign = (subject: string) =>
  new SignJWT({ ent: [subject] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(subject)
    .sign(new TextEncoder().encode('not-the-backend-key'));

describe('userOfToken', () => {
  it("reads the user from a Backstage user token's subject", async () => {
    expect(userOfToken(await sign('user:default/ada'))).toBe(
      'user:default/ada',
    );
  });

  it.each([
    ['a static token', 'demo-ci-token-0123456789'],
    ['no token', undefined],
  ])('refuses %s', (_what, token) => {
    expect(() => userOfToken(token)).toThrow(
      'The token is not a Backstage user token, so it names no user for --mine; use --created-by USER',
    );
  });

  it('refuses a token whose subject is not a user', async () => {
    const token = await sign('plugin:catalog');
    expect(() => userOfToken(token)).toThrow('not a Backstage user token');
  });
});
