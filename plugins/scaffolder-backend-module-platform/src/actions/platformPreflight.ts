import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { JsonObject } from '@backstage/types';
import {
  PlatformPreflight,
  preflightError,
} from '../preflight/PlatformPreflight';
import { examples } from './platformPreflight.examples';

/**
 * `platform:preflight`: checks everything a run's platform steps need before
 * the first of them writes anything, and fails the run with every problem at
 * once when something stands in the way.
 *
 * @public
 */
export function createPlatformPreflightAction(options: {
  preflight: PlatformPreflight;
}) {
  return createTemplateAction({
    id: 'platform:preflight',
    description:
      "Checks, before anything is created, that the platform steps of this run can succeed for the user who started it: each step is permitted with its input, the catalog entity, repository and namespace names are free, every existing namespace it writes into is the user's team's, quotas are within the configured maximum and the manifests meet the deployment policy. It only reads, and fails with every problem at once.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        entityRef: z =>
          z
            .string({
              description:
                'The catalog entity the run registers, such as component:default/payments; it must not exist yet',
            })
            .optional(),
        steps: z =>
          z.array(
            z.object({
              action: z.string({
                description:
                  'The action id, such as platform:github:repo:create',
              }),
              input: z
                .record(z.string(), z.unknown(), {
                  description:
                    'The input the step will get; YAML anchors let the template write it once',
                })
                .optional(),
              if: z
                .boolean({
                  description:
                    "The step's own `if`: false when the run will skip the step, which is then not checked",
                })
                .optional(),
            }),
            {
              description:
                'The later steps of the run whose writes to check. Steps of actions it does not know are checked for permission only',
            },
          ),
      },
    },
    async handler(ctx) {
      const { entityRef } = ctx.input;
      const steps = ctx.input.steps.filter(step => step.if !== false);
      ctx.logger.info(
        `Checking ${steps.length} step(s) before anything is created`,
      );
      const problems = await options.preflight.check({
        credentials: await ctx.getInitiatorCredentials(),
        workspacePath: ctx.workspacePath,
        entityRef,
        steps: steps.map(step => ({
          action: step.action,
          input: step.input as JsonObject | undefined,
        })),
        signal: ctx.signal,
      });
      // A dry run previews: what could not be asked (no GitHub from the
      // template editor, say) is a warning there, not a failure.
      const blocking = ctx.isDryRun
        ? problems.filter(p => p.kind !== 'unchecked')
        : problems;
      for (const problem of problems.filter(p => !blocking.includes(p))) {
        ctx.logger.warn(`Dry run: could not check: ${problem.message}`);
      }
      if (blocking.length > 0) {
        throw preflightError(blocking);
      }
      ctx.logger.info(
        'Nothing stands in the way: every name is free and every step is permitted',
      );
    },
  });
}
