import { exampleStep } from '@internal/platform-test-utils';
import { createHarness } from '../__testUtils__/harness';
import {
  describeWithPostgres,
  useTestServer,
} from '../__testUtils__/testServer';
import { examples as createExamples } from './databaseCreate.examples';
import { examples as rotateExamples } from './databaseRotateCredentials.examples';

jest.setTimeout(60_000);

describeWithPostgres('platform:database:* examples', () => {
  const testServer = useTestServer();

  it.each(createExamples.map(e => [e.description, e]))(
    '%s',
    async (_, example) => {
      const h = await createHarness(testServer().server);
      try {
        const step = exampleStep(example);
        expect(step.action).toBe(h.createAction.id);
        h.seedNamespace(step.input.namespace);
        const ctx = h.context(step.input);
        await h.createAction.handler(ctx as any);
        const secretName =
          step.input.secretName ?? `${step.input.name}-database`;
        expect(
          h.secretValues(step.input.namespace, secretName)?.PGDATABASE,
        ).toBe(step.input.name);
        // The examples share one server; a kept example stays.
        await h.rollback(ctx.task.id);

      } finally {
        await h.close();
      }
    },
  );

  it('rotates the credentials of the first example', async () => {
    const h = await createHarness(testServer().server);
    try {
      const create = exampleStep(createExamples[0]);
      const rotate = exampleStep(rotateExamples[0]);
      expect(rotate.action).toBe(h.rotateAction.id);
      h.seedNamespace(create.input.namespace);
      await h.createAction.handler(h.context(create.input) as any);
      const before = h.secretValues('payments', 'payments-database');
      await h.rotateAction.handler(h.context(rotate.input) as any);
      expect(
        h.secretValues('payments', 'payments-database')?.PGPASSWORD,
      ).not.toBe(before?.PGPASSWORD);
    } finally {
      await h.close();
    }
  });
});
