export { RollbackOutputs } from './RollbackOutputs';
export type { RollbackOutputsProps } from './RollbackOutputs';
