import { mockServices } from '@backstage/backend-test-utils';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  stringifyError,
} from '@backstage/errors';
import {
  ActionContext,
  createTemplateAction,
  ScaffolderActionsExtensionPoint,
} from '@backstage/plugin-scaffolder-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { JsonValue } from '@backstage/types';
import { SecretScrubber } from './SecretScrubber';
import { scrubbedAction, scrubbedActions } from './scrubbedAction';

const SECRET = 'canary-0d6f3a9b27e14c58';

/** The GitHub client's error: a status the action reads, and the raw exchange. */
function apiError(message: string) {
  return Object.assign(new Error(message), {
    name: 'HttpError',
    status: 403,
    request: { headers: { authorization: `token ${SECRET}` } },
    response: { data: { message } },
  });
}

/**
 * An action context whose checkpoint stores what the scaffolder stores in
 * the task state: the value, or the error as `stringifyError` writes it.
 */
function context() {
  const logger = mockServices.logger.mock();
  const state: Record<
    string,
    { status: string; value?: JsonValue; reason?: string }
  > = {};
  const ctx: ActionContext<any, any> = {
    ...createMockActionContext({ input: {} }),
    logger,
    output: jest.fn(),
    async checkpoint({ key, fn }) {
      try {
        const value = await fn();
        state[key] = { status: 'success', value: value ?? {} };
        return value;
      } catch (e) {
        state[key] = { status: 'failed', reason: stringifyError(e) };
        throw e;
      }
    },
  };
  return { ctx, logger, state };
}

describe('scrubbedAction', () => {
  const scrubber = SecretScrubber.create({ secrets: [SECRET] });

  it('keeps what the action is, and changes only its handler', () => {
    const action = createTemplateAction({
      id: 'platform:test:thing:create',
      description: 'Creates a thing',
      supportsDryRun: true,
      examples: [{ description: 'd', example: 'e' }],
      schema: { input: { name: z => z.string({ description: 'Name' }) } },
      handler: async () => {},
    });
    const wrapped = scrubbedAction(action, scrubber);
    expect({ ...wrapped, handler: undefined }).toEqual({
      ...action,
      handler: undefined,
    });
    expect(wrapped.handler).not.toBe(action.handler);
  });

  it('scrubs log lines, their metadata and those of child loggers', async () => {
    const { ctx, logger } = context();
    logger.child.mockReturnValue(logger);
    await scrubbedAction(
      createTemplateAction({
        id: 'test:log',
        handler: async c => {
          c.logger.info(`GitHub answered 401: Bad credentials ${SECRET}`, {
            header: `token ${SECRET}`,
          });
          c.logger.warn('failed', apiError(`echo ${SECRET}`));
          c.logger.child({ token: SECRET }).error(`child ${SECRET}`);
        },
      }),
      scrubber,
    ).handler(ctx);
    expect(logger.info).toHaveBeenCalledWith(
      'GitHub answered 401: Bad credentials ***',
      { header: 'token ***' },
    );
    const [, warned] = (logger.warn as jest.Mock).mock.calls[0];
    expect(warned.message).toBe('echo ***');
    expect(warned).not.toHaveProperty('request');
    expect(logger.child).toHaveBeenCalledWith({ token: '***' });
    expect(logger.error).toHaveBeenCalledWith('child ***', undefined);
  });

  it('scrubs outputs deeply', async () => {
    const { ctx } = context();
    await scrubbedAction(
      createTemplateAction({
        id: 'test:output',
        handler: async c => {
          c.output('url', `https://x.test/?token=${SECRET}`);
          c.output('details', { nested: [SECRET] });
        },
      }),
      scrubber,
    ).handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith('url', 'https://x.test/?token=***');
    expect(ctx.output).toHaveBeenCalledWith('details', { nested: ['***'] });
  });

  it.each([
    ['InputError', InputError],
    ['ConflictError', ConflictError],
    ['NotAllowedError', NotAllowedError],
    ['NotFoundError', NotFoundError],
  ])(
    'rethrows a %s as the same class, scrubbed and without stack frames',
    async (name, ErrorClass) => {
      const { ctx } = context();
      const error = await scrubbedAction(
        createTemplateAction({
          id: 'test:throw',
          handler: async () => {
            throw new ErrorClass(`Repository acme/x: ${SECRET}`);
          },
        }),
        scrubber,
      )
        .handler(ctx)
        .catch(e => e);
      expect(error).toBeInstanceOf(ErrorClass);
      expect(error.name).toBe(name);
      expect(error.message).toBe('Repository acme/x: ***');
      expect(error.stack).toBe(`${name}: Repository acme/x: ***`);
    },
  );

  it('never passes on a raw API client error', async () => {
    const { ctx } = context();
    const error = await scrubbedAction(
      createTemplateAction({
        id: 'test:raw',
        handler: async () => {
          throw apiError(`Bad credentials ${SECRET}`);
        },
      }),
      scrubber,
    )
      .handler(ctx)
      .catch(e => e);
    expect(error.name).toBe('HttpError');
    expect(error.message).toBe('Bad credentials ***');
    expect(error).not.toHaveProperty('request');
    expect(error).not.toHaveProperty('response');
    expect(error.stack).toBe('HttpError: Bad credentials ***');
  });

  it('says a step stopped because the run was cancelled, not AbortError', async () => {
    const { ctx } = context();
    const controller = new AbortController();
    const error = await scrubbedAction(
      createTemplateAction({
        id: 'test:waits',
        handler: async () => {
          controller.abort();
          throw Object.assign(new Error('This operation was aborted'), {
            name: 'AbortError',
          });
        },
      }),
      scrubber,
    )
      .handler({ ...ctx, signal: controller.signal })
      .catch(e => e);
    expect(error.stack).toBe(
      'Error: test:waits stopped because the run was cancelled',
    );
  });

  it('scrubs what a checkpoint stores, and leaves the action its error to inspect', async () => {
    const { ctx, state } = context();
    let seenStatus: number | undefined;
    let created: JsonValue | undefined;
    const error = await scrubbedAction(
      createTemplateAction({
        id: 'test:checkpoint',
        handler: async c => {
          created = await c.checkpoint({
            key: 'create',
            fn: async () => ({ url: `https://x.test/?t=${SECRET}` }),
          });
          try {
            await c.checkpoint({
              key: 'push',
              fn: async () => {
                throw apiError(`Resource not accessible ${SECRET}`);
              },
            });
          } catch (e) {
            seenStatus = (e as { status?: number }).status;
            throw e;
          }
        },
      }),
      scrubber,
    )
      .handler(ctx)
      .catch(e => e);
    expect(state).toEqual({
      create: { status: 'success', value: { url: 'https://x.test/?t=***' } },
      push: {
        status: 'failed',
        reason: 'HttpError: Resource not accessible ***',
      },
    });
    // The action sees what the scaffolder stored, on the first run as on a replay.
    expect(created).toEqual({ url: 'https://x.test/?t=***' });
    expect(seenStatus).toBe(403);
    expect(error.message).toBe('Resource not accessible ***');
    expect(JSON.stringify(state)).not.toContain(SECRET);
  });

  it('adds every action through the scrubbing extension point', async () => {
    const added: any[] = [];
    const extensionPoint: ScaffolderActionsExtensionPoint = {
      addActions: (...actions) => added.push(...actions),
    };
    scrubbedActions(extensionPoint, scrubber).addActions(
      createTemplateAction({
        id: 'test:a',
        handler: async () => {
          throw new Error(SECRET);
        },
      }),
      createTemplateAction({ id: 'test:b', handler: async () => {} }),
    );
    expect(added.map(a => a.id)).toEqual(['test:a', 'test:b']);
    await expect(added[0].handler(context().ctx)).rejects.toThrow(/^\*\*\*$/);
  });
});
