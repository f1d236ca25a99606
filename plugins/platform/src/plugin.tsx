import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
  SubPageBlueprint,
} from '@backstage/frontend-plugin-api';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import CategoryIcon from '@material-ui/icons/Category';
import { platformApiRef } from './api/PlatformApi';
import { PlatformClient } from './api/PlatformClient';
import { rootRouteRef, runsRouteRef, servicesRouteRef } from './routes';

export const platformApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: platformApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new PlatformClient({ discoveryApi, fetchApi }),
    }),
});

// Typed dependencies and ownership are declared on these kinds only.
const platformEntityKinds = {
  kind: { $in: ['component', 'resource', 'api'] },
};

export const dependenciesCard = EntityCardBlueprint.make({
  name: 'dependencies',
  params: {
    filter: platformEntityKinds,
    loader: () =>
      import('./components/DependenciesCard').then(m => <m.DependenciesCard />),
  },
});

export const ownershipCard = EntityCardBlueprint.make({
  name: 'ownership',
  params: {
    type: 'info',
    filter: platformEntityKinds,
    loader: () =>
      import('./components/OwnershipCard').then(m => <m.OwnershipCard />),
  },
});

// A page with a title and icon is what puts "Platform" in the sidebar: the
// app's nav content lists pages; this release has no separate nav item
// blueprint.
export const platformPage = PageBlueprint.make({
  params: {
    path: '/platform',
    title: 'Platform',
    icon: <CategoryIcon />,
    routeRef: rootRouteRef,
  },
});

export const servicesSubPage = SubPageBlueprint.make({
  name: 'services',
  attachTo: { id: 'page:platform', input: 'pages' },
  params: {
    path: 'services',
    title: 'Services',
    routeRef: servicesRouteRef,
    loader: () =>
      import('./components/ServicesPage').then(m => <m.ServicesPage />),
  },
});

export const runsSubPage = SubPageBlueprint.make({
  name: 'runs',
  attachTo: { id: 'page:platform', input: 'pages' },
  params: {
    path: 'runs',
    title: 'Runs',
    routeRef: runsRouteRef,
    loader: () => import('./components/RunsPage').then(m => <m.RunsPage />),
  },
});

/**
 * The platform's frontend: dependency and ownership cards on entity pages,
 * and the Platform page with the services table and the runs.
 *
 * @public
 */
export const platformPlugin = createFrontendPlugin({
  pluginId: 'platform',
  title: 'Platform',
  icon: <CategoryIcon />,
  extensions: [
    platformApi,
    dependenciesCard,
    ownershipCard,
    platformPage,
    servicesSubPage,
    runsSubPage,
  ],
  routes: {
    root: rootRouteRef,
    services: servicesRouteRef,
    runs: runsRouteRef,
  },
});
