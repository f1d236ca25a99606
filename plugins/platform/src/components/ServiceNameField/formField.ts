import { createFormField } from '@backstage/plugin-scaffolder-react/alpha';
import { ServiceNameField } from './ServiceNameField';
import { ServiceNameFieldSchema } from './schema';
import { serviceNameValidation } from './validation';

/**
 * `ui:field: PlatformServiceName`, as the scaffolder's form loads it; the
 * platform plugin's `scaffolder-form-field:platform/service-name` extension
 * points at this module.
 */
export const serviceNameFormField = createFormField({
  name: 'PlatformServiceName',
  component: ServiceNameField,
  validation: serviceNameValidation,
  schema: ServiceNameFieldSchema,
});
