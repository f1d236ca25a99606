export { serviceNameFormField } from './formField';
export { ServiceNameField } from './ServiceNameField';
export type {
  ServiceNameFieldProps,
  ServiceNameFieldUiOptions,
} from './schema';
