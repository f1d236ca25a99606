import { JsonValue } from '@backstage/types';
import {
  ActionContext,
  ScaffolderActionsExtensionPoint,
  TemplateAction,
} from '@backstage/plugin-scaffolder-node';
import { CheckpointContext } from '@backstage/plugin-scaffolder-node/alpha';
import { SecretScrubber } from './SecretScrubber';
import { scrubbedLogger } from './scrubbedLogger';

/**
 * Scrubs an error thrown inside a checkpoint where it stands: the
 * scaffolder stores its name and message in the task state, while the
 * action around the checkpoint may still read its other properties (an
 * HTTP status) to decide what to do. What finally leaves the handler is
 * replaced as a whole.
 */
function scrubInPlace(error: unknown, scrubber: SecretScrubber): unknown {
  if (!(error instanceof Error)) {
    return scrubber.scrubError(error);
  }
  try {
    error.message = scrubber.scrub(error.message);
    error.stack = scrubber.scrubError(error).stack;
    return error;
  } catch {
    // A frozen error or a read-only message.
    return scrubber.scrubError(error);
  }
}

/**
 * The same action, with a handler that cannot pass on a secret: its logger
 * scrubs every line and its metadata (the task log and the backend log),
 * outputs and checkpoint results are scrubbed before the scaffolder stores
 * them, an error thrown inside a checkpoint is scrubbed before it is stored
 * in the task state, and the handler's own error is replaced by a scrubbed
 * one of the same name, without cause, API response or stack frames.
 *
 * @public
 */
export function scrubbedAction<TAction extends TemplateAction<any, any, any>>(
  action: TAction,
  scrubber: SecretScrubber,
): TAction {
  const handler = async (ctx: ActionContext<any, any>) => {
    const scrubbedCtx: ActionContext<any, any> = {
      ...ctx,
      logger: scrubbedLogger(ctx.logger, scrubber),
      output: (name, value) => ctx.output(name, scrubber.scrubValue(value)),
      checkpoint: <T extends JsonValue | void>(opts: CheckpointContext<T>) =>
        ctx.checkpoint<T>({
          ...opts,
          fn: async () => {
            try {
              return scrubber.scrubValue(await opts.fn());
            } catch (e) {
              throw scrubInPlace(e, scrubber);
            }
          },
        }),
    };
    try {
      await action.handler(scrubbedCtx);
    } catch (e) {
      if (ctx.signal?.aborted) {
        // Whatever the step was doing (an aborted request, a wait), the
        // reason it stopped is the cancellation: say that, not AbortError.
        throw scrubber.scrubError(
          new Error(`${action.id} stopped because the run was cancelled`),
        );
      }
      throw scrubber.scrubError(e);
    }
  };
  return { ...action, handler };
}

/**
 * An actions extension point that adds every action as a
 * {@link scrubbedAction}, so no action of this module reaches the
 * scaffolder unwrapped.
 *
 * @public
 */
export function scrubbedActions(
  scaffolder: ScaffolderActionsExtensionPoint,
  scrubber: SecretScrubber,
): ScaffolderActionsExtensionPoint {
  return {
    addActions(...actions) {
      scaffolder.addActions(
        ...actions.map(action => scrubbedAction(action, scrubber)),
      );
    },
  };
}
