import { Entity } from '@backstage/catalog-model';
import { createExtensionTester } from '@backstage/frontend-test-utils';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { scaffolderTemplateOutputsBlueprint } from '@backstage/plugin-scaffolder-react/alpha';
import {
  dependenciesCard,
  ownershipCard,
  platformPlugin,
  taskRollbackOutputs,
} from './plugin';

const KINDS = ['Component', 'Resource', 'API', 'Group', 'User', 'System'];

function kindsAccepted(filter: ((entity: Entity) => boolean) | undefined) {
  return KINDS.filter(kind =>
    filter?.({
      apiVersion: 'backstage.io/v1alpha1',
      kind,
      metadata: { name: 'x' },
    }),
  );
}

describe('platform plugin', () => {
  it('offers the dependencies card on Components, Resources and APIs only', () => {
    const filter = createExtensionTester(dependenciesCard).get(
      EntityCardBlueprint.dataRefs.filterFunction,
    );
    expect(kindsAccepted(filter)).toEqual(['Component', 'Resource', 'API']);
  });

  it('offers the ownership card on Components, Resources and APIs only', () => {
    const filter = createExtensionTester(ownershipCard).get(
      EntityCardBlueprint.dataRefs.filterFunction,
    );
    expect(kindsAccepted(filter)).toEqual(['Component', 'Resource', 'API']);
  });

  it('puts the rollback panel on the stock scaffolder task page', () => {
    const extension = platformPlugin.getExtension(
      'scaffolder-template-outputs:platform/rollback',
    );
    const tester = createExtensionTester(extension);
    const { spec } = tester.query(extension).node;
    expect(spec.id).toBe('scaffolder-template-outputs:platform/rollback');
    expect(spec.attachTo).toEqual({
      id: 'sub-page:scaffolder/tasks',
      input: 'templateOutputsComponents',
    });
    expect(
      tester.get(scaffolderTemplateOutputsBlueprint.dataRefs.templateRefs),
    ).toEqual(['template:default/microservice']);
  });

  it('shows the rollback panel for the templates listed in app-config', () => {
    const templateRefs = [
      'template:default/microservice',
      'template:payments/batch-job',
    ];
    const tester = createExtensionTester(taskRollbackOutputs, {
      config: { templateRefs },
    });
    expect(
      tester.get(scaffolderTemplateOutputsBlueprint.dataRefs.templateRefs),
    ).toEqual(templateRefs);
  });
});
