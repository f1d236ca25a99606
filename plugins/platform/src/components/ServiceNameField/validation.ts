import { CustomFieldValidator } from '@backstage/plugin-scaffolder-react';
import { platformApiRef, ServiceNameCheck } from '../../api/PlatformApi';
import { ServiceNameFieldUiOptions } from './schema';
import {
  describeServiceNameCheck,
  serviceNameCheckRequest,
} from './serviceNameChecks';

type Validator = CustomFieldValidator<string, ServiceNameFieldUiOptions>;

/**
 * Asks again when the user moves on ("Next", "Review"), with the form as it
 * is then, and adds one error per system where a run with this name would
 * fail. A system that could not be asked does not block, nor does a failed
 * request: the template's preflight step checks every name again before
 * anything is created, and the field already shows the failure.
 */
export async function serviceNameValidation(
  value: string,
  validation: Parameters<Validator>[1],
  context: Parameters<Validator>[2],
): Promise<void> {
  const platformApi = context.apiHolder.get(platformApiRef);
  if (!value || !platformApi) {
    return;
  }
  const uiOptions = context.uiSchema?.['ui:options'];
  const request = serviceNameCheckRequest({
    name: value,
    formData: context.formData,
    uiOptions,
  });
  let check: ServiceNameCheck;
  try {
    check = await platformApi.checkServiceName(request);
  } catch {
    return;
  }
  const lines = describeServiceNameCheck({
    check,
    request,
    expectsGithub: Boolean(uiOptions?.githubOwnerField),
  });
  for (const line of lines) {
    if (line.state === 'blocked') {
      validation.addError(`${line.label}: ${line.text}`);
    }
  }
}
