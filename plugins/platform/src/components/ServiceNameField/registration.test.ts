import { createExtensionTester } from '@backstage/frontend-test-utils';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';
import { platformPlugin } from '../../plugin';
import { serviceNameFormField } from './formField';

describe('the PlatformServiceName field extension', () => {
  it("adds the field to the scaffolder's form fields", async () => {
    const extension = platformPlugin.getExtension(
      'scaffolder-form-field:platform/service-name',
    );
    const tester = createExtensionTester(extension);
    expect(tester.query(extension).node.spec.attachTo).toEqual({
      id: 'api:scaffolder/form-fields',
      input: 'formFields',
    });
    const load = tester.get(FormFieldBlueprint.dataRefs.formFieldLoader);
    await expect(load()).resolves.toBe(serviceNameFormField);
  });
});
