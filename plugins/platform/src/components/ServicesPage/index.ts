export { ServicesPage } from './ServicesPage';
export type { ServicesPageProps } from './ServicesPage';
