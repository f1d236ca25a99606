export { RunsPage } from './RunsPage';
export type { RunsPageProps } from './RunsPage';
