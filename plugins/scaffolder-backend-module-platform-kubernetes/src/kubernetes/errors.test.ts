import { ApiException } from '@kubernetes/client-node';
import { describeKubernetesFailure, toPlatformError } from './errors';

const status = (code: number, reason: string, message: string) =>
  new ApiException(
    code,
    `HTTP-Code: ${code}\nMessage: Unknown API Status Code!\nBody: "..."\nHeaders: {"authorization":"Bearer secret-token"}`,
    JSON.stringify({ kind: 'Status', code, reason, message }),
    { authorization: 'Bearer secret-token' },
  );

describe('describeKubernetesFailure', () => {
  it('keeps the Status reason and message and nothing of the raw exception', () => {
    const failure = describeKubernetesFailure(
      status(409, 'AlreadyExists', 'namespaces "payments" already exists'),
    );
    expect(failure).toEqual({
      status: 409,
      reason: 'AlreadyExists',
      message: 'namespaces "payments" already exists',
      unknownOutcome: false,
    });
    expect(JSON.stringify(failure)).not.toContain('secret-token');
  });

  it.each([
    [status(500, 'InternalError', 'boom'), true],
    [status(504, 'Timeout', 'slow'), true],
    [status(422, 'Invalid', 'bad'), false],
    [
      Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6443'), {
        code: 'ECONNREFUSED',
      }),
      true,
    ],
  ])(
    'says whether the outcome of a write is unknown (%#)',
    (error, unknown) => {
      expect(describeKubernetesFailure(error).unknownOutcome).toBe(unknown);
    },
  );

  it('names a network failure by its code only', () => {
    const error = Object.assign(
      new Error('request to https://user:secret@cluster failed'),
      { code: 'ECONNRESET' },
    );
    expect(describeKubernetesFailure(error).message).toBe(
      'the API server could not be reached (ECONNRESET)',
    );
  });
});

describe('toPlatformError', () => {
  it.each([
    [422, 'Invalid', 'InputError'],
    [403, 'Forbidden', 'NotAllowedError'],
    [404, 'NotFound', 'NotFoundError'],
    [409, 'AlreadyExists', 'ConflictError'],
    [503, 'ServiceUnavailable', 'Error'],
  ])(
    'maps HTTP %s (%s) to %s with the Status message',
    (code, reason, name) => {
      const error = toPlatformError(
        status(code, reason, 'what the server said'),
        'create Namespace payments',
      );
      expect(error.name).toBe(name);
      expect(error.message).toBe(
        'Could not create Namespace payments: what the server said',
      );
    },
  );

  it('says the token was rejected on 401 without showing it', () => {
    const error = toPlatformError(
      status(401, 'Unauthorized', 'Unauthorized'),
      'read Namespace payments',
    );
    expect(error.message).toBe(
      'Could not read Namespace payments: the cluster rejected the service account token configured for it',
    );
  });
});
