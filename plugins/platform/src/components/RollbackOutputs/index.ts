export { RollbackOutputs, RollbackPanel } from './RollbackOutputs';
export type {
  RollbackOutputsProps,
  RollbackPanelProps,
} from './RollbackOutputs';
