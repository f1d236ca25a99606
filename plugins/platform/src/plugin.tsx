import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
  SubPageBlueprint,
} from '@backstage/frontend-plugin-api';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import {
  DefaultTemplateOutputs,
  FormFieldBlueprint,
  scaffolderTemplateOutputsBlueprint,
} from '@backstage/plugin-scaffolder-react/alpha';
import CategoryIcon from '@material-ui/icons/Category';
import { lazy, Suspense } from 'react';
import { z } from 'zod';
import { platformApiRef } from './api/PlatformApi';
import { PlatformClient } from './api/PlatformClient';
import type { RollbackOutputsProps } from './components/RollbackOutputs';
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

/**
 * On the Resources the golden path declares for a service's managed
 * database: where it is and which Secret holds its credentials.
 */
export const databaseCard = EntityCardBlueprint.make({
  name: 'database',
  params: {
    type: 'info',
    filter: { kind: 'resource', 'spec.type': 'database' },
    loader: () =>
      import('./components/DatabaseCard').then(m => <m.DatabaseCard />),
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

const LazyRollbackOutputs = lazy(() =>
  import('./components/RollbackOutputs').then(m => ({
    default: m.RollbackOutputs,
  })),
);

// While the panel's code loads, the stock outputs show alone rather than
// nothing, so the links a run produced never flicker away.
function RollbackOutputsLoader(props: RollbackOutputsProps) {
  return (
    <Suspense fallback={<DefaultTemplateOutputs output={props.output} />}>
      <LazyRollbackOutputs {...props} />
    </Suspense>
  );
}

/**
 * The stock task page (`/create/tasks/:taskId`) stops listening when the
 * scaffolder reports the task complete, before the rollback of a failed run
 * starts; this puts the run's resources and their rollback below the
 * outputs of tasks of the listed templates, kept up to date.
 */
export const taskRollbackOutputs =
  scaffolderTemplateOutputsBlueprint.makeWithOverrides({
    name: 'rollback',
    configSchema: {
      templateRefs: z
        .array(z.string())
        .default(['template:default/microservice']),
    },
    factory(originalFactory, { config }) {
      return originalFactory({
        component: RollbackOutputsLoader,
        templateRefs: config.templateRefs,
      });
    },
  });

/**
 * `ui:field: PlatformServiceName` on the Create page: a service name checked
 * while the user types, valid and free in the catalog, on GitHub and on the
 * cluster, with the exact names it gives. It attaches to the scaffolder's
 * form fields API, which loads it with the templates page.
 */
export const serviceNameFormField = FormFieldBlueprint.make({
  name: 'service-name',
  params: {
    field: () =>
      import('./components/ServiceNameField').then(m => m.serviceNameFormField),
  },
});

/**
 * The platform's frontend: dependency, ownership and database cards on
 * entity pages, the Platform page with the services table and the runs, the
 * service name field of the Create page, and the rollback of a run on its
 * scaffolder task page.
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
    databaseCard,
    platformPage,
    servicesSubPage,
    runsSubPage,
    taskRollbackOutputs,
    serviceNameFormField,
  ],
  routes: {
    root: rootRouteRef,
    services: servicesRouteRef,
    runs: runsRouteRef,
  },
});
