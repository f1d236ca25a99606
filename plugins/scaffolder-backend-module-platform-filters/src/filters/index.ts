export { k8sNameFilter } from './k8sName';
export { envVarFilter } from './envVar';
