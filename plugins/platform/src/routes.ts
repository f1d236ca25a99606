import { createRouteRef } from '@backstage/frontend-plugin-api';

export const rootRouteRef = createRouteRef();
export const servicesRouteRef = createRouteRef();
export const runsRouteRef = createRouteRef();
