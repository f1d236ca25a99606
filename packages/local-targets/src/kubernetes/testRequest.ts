import { request as httpsRequest } from 'node:https';
import { LocalKubernetesApiServer } from './server';

/** A raw HTTPS call to the loopback server, trusting its certificate. */
export async function callKubernetesApi(
  server: LocalKubernetesApiServer,
  options: {
    method: string;
    path: string;
    body?: unknown;
    contentType?: string;
    token?: string | null;
    /** Gives up on the answer, as a cancelled client does. */
    signal?: AbortSignal;
  },
): Promise<{ status: number; body: any }> {
  let payload: string | undefined;
  if (typeof options.body === 'string') {
    payload = options.body;
  } else if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
  }
  const headers: Record<string, string> = {};
  if (options.token !== null) {
    headers.authorization = `Bearer ${options.token ?? server.token}`;
  }
  if (payload !== undefined) {
    headers['content-type'] = options.contentType ?? 'application/json';
    // Node sends no body framing for DELETE unless told the length.
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${server.url}${options.path}`,
      {
        method: options.method,
        headers,
        ca: Buffer.from(server.caData, 'base64').toString(),
        signal: options.signal,
      },
      res => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', chunk => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: text ? JSON.parse(text) : undefined,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
