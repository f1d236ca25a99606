import {
  createFrontendPlugin,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';

import { rootRouteRef } from './routes';

export const page = PageBlueprint.make({
  params: {
    path: '/platform',
    routeRef: rootRouteRef,
    loader: () => import('./components/TodoPage').then(m => <m.TodoPage />),
  },
});

export const platformPlugin = createFrontendPlugin({
  pluginId: 'platform',
  extensions: [page],
  routes: {
    root: rootRouteRef,
  },
});
