export { ResourcesTable } from './ResourcesTable';
export type { ResourcesTableProps } from './ResourcesTable';
