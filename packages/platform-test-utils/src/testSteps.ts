import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  createTemplateAction,
  scaffolderActionsExtensionPoint,
} from '@backstage/plugin-scaffolder-node';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * `test:step`, a template step the fault-injection tests steer: it fails, hangs
 * until the run is cancelled, or waits at a gate the test opens.
 */
export const testStepsModule = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'test-steps',
  register({ registerInit }) {
    registerInit({
      deps: { scaffolder: scaffolderActionsExtensionPoint },
      async init({ scaffolder }) {
        scaffolder.addActions(
          createTemplateAction({
            id: 'test:step',
            schema: {
              input: {
                fail: z =>
                  z.boolean({ description: 'Fail this step' }).optional(),
                hang: z =>
                  z.boolean({ description: 'Wait until cancelled' }).optional(),
                gate: z =>
                  z
                    .string({
                      description:
                        'Wait until this file exists; an empty string is an open gate',
                    })
                    .optional(),
                writeFiles: z =>
                  z
                    .boolean({ description: 'Write the service files' })
                    .optional(),
              },
            },
            async handler(ctx) {
              if (ctx.input.writeFiles) {
                await fs.promises.writeFile(
                  path.join(ctx.workspacePath, 'catalog-info.yaml'),
                  'kind: Component\n',
                );
              }
              if (ctx.input.hang) {
                await new Promise(resolve =>
                  ctx.signal?.addEventListener('abort', resolve),
                );
                throw new Error('cancelled while waiting');
              }
              const gate = ctx.input.gate;
              while (gate && !fs.existsSync(gate)) {
                await delay(100);
              }
              if (ctx.input.fail) {
                throw new Error('step failed on purpose');
              }
            },
          }),
        );
      },
    });
  },
});
