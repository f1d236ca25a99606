import yaml from 'yaml';
import {
  DryRunBackend,
  logMessages,
  startDryRunBackend,
} from '@internal/platform-test-utils';
import { envVarFilter, k8sNameFilter } from '.';
import { scaffolderModulePlatformFilters } from '../module';

const cases = [k8sNameFilter, envVarFilter].flatMap(filter =>
  (filter.examples ?? []).map(example => {
    const [, input, output] =
      /\*\*Input\*\*: `(.*)`\n- \*\*Output\*\*: `(.*)`/.exec(
        example.notes ?? '',
      ) ?? [];
    return {
      id: filter.id,
      description: example.description,
      steps: yaml.parse(example.example),
      input,
      output,
    };
  }),
);

// Each documented example runs as written, through the real scaffolder, with
// the filters registered by our module: this also proves the registration.
describe('template filter examples', () => {
  let backend: DryRunBackend;

  beforeAll(async () => {
    backend = await startDryRunBackend({
      features: [scaffolderModulePlatformFilters],
    });
  });

  afterAll(async () => {
    await backend?.stop();
  });

  it.each(cases)(
    '$id: $description',
    async ({ steps, input, output }) => {
      expect(input).toBeDefined();
      const result = await backend.dryRun({
        template: {
          apiVersion: 'scaffolder.backstage.io/v1beta3',
          kind: 'Template',
          metadata: { name: 'filter-example' },
          spec: { type: 'service', parameters: [], steps },
        },
        values: { name: input },
      });
      expect(logMessages(result)).toContain(output);
    },
    60_000,
  );
});
