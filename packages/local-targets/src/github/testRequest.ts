import { LocalGithubApiServer } from './server';

/** A REST call to the loopback server, with a token of the test's. */
export async function callGithubApi(
  server: LocalGithubApiServer,
  options: { method: string; path: string; body?: object; token?: string },
) {
  const res = await fetch(`${server.url}${options.path}`, {
    method: options.method,
    headers: {
      authorization: `token ${options.token ?? 'admin'}`,
      'content-type': 'application/json',
    },
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? JSON.parse(text) : undefined,
  };
}
