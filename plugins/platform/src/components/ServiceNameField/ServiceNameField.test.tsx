import {
  mockApis,
  registerMswTestHooks,
  renderInTestApp,
} from '@backstage/frontend-test-utils';
import { TemplateParameterSchema } from '@backstage/plugin-scaffolder-react';
import { Stepper } from '@backstage/plugin-scaffolder-react/alpha';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import {
  PlatformApi,
  platformApiRef,
  ServiceNameCheck,
  ServiceNameCheckRequest,
} from '../../api/PlatformApi';
import { PlatformClient } from '../../api/PlatformClient';
import { ServiceNameField } from './ServiceNameField';
import { serviceNameValidation } from './validation';

type Problem = Pick<ServiceNameCheck['checks'][number], 'kind' | 'message'>;

/**
 * The backend's answer for a valid name: free in every system but those
 * given a problem, and without the systems given `undefined` (not asked).
 */
function answer(
  name: string,
  problems: Partial<
    Record<'catalog' | 'github' | 'kubernetes', Problem | undefined>
  > = {},
): ServiceNameCheck {
  const systems = (['catalog', 'github', 'kubernetes'] as const).filter(
    system => !(system in problems) || problems[system],
  );
  return {
    name,
    checks: [
      { system: 'name', free: true },
      ...systems.map(system => {
        const problem = problems[system];
        return problem
          ? { system, free: false, ...problem }
          : { system, free: true };
      }),
    ],
  };
}

const allFree = (name: string) => answer(name);

const takenOnGithubAndCluster = (name: string) =>
  answer(name, {
    github: {
      kind: 'taken',
      message: `Repository acme/${name} already exists on github.com; choose another name`,
    },
    kubernetes: {
      kind: 'taken',
      message: `Namespace ${name} already exists on cluster prod; choose another name`,
    },
  });

const invalidName = (name: string): ServiceNameCheck => ({
  name,
  checks: [
    {
      system: 'name',
      free: false,
      kind: 'invalid',
      message: `Service name "${name}" is not a valid DNS-1123 label: use at most 63 lower case letters, digits and '-', starting and ending with a letter or digit`,
    },
  ],
});

/**
 * The first step of a template as the microservice template writes it: the
 * organisation and the cluster are fields of the same step, which the name
 * field reads through the form's data.
 */
function manifest(uiOptions: object): TemplateParameterSchema {
  return {
    title: 'Microservice',
    steps: [
      {
        title: 'Service',
        schema: {
          type: 'object',
          required: ['service_name'],
          properties: {
            github_org: {
              title: 'GitHub organisation',
              type: 'string',
              default: 'acme',
            },
            cluster: { title: 'Cluster', type: 'string', default: 'prod' },
            service_name: {
              title: 'Service name',
              type: 'string',
              description:
                'Names the repository, the namespace and the entity.',
              'ui:field': 'PlatformServiceName',
              'ui:options': uiOptions,
            },
          },
        },
      },
      {
        title: 'Runtime',
        schema: {
          type: 'object',
          properties: { replicas: { title: 'Replicas', type: 'number' } },
        },
      },
    ],
  };
}

async function renderCreatePage(options: {
  checkServiceName: PlatformApi['checkServiceName'];
  uiOptions?: object;
}) {
  const checkServiceName = jest.fn(options.checkServiceName);
  const platformApi: PlatformApi = {
    listRuns: jest.fn(),
    getRun: jest.fn(),
    checkServiceName,
    getDependencies: jest.fn(),
    getDependents: jest.fn(),
  };
  await renderInTestApp(
    <Stepper
      manifest={manifest(
        options.uiOptions ?? {
          githubOwnerField: 'github_org',
          clusterField: 'cluster',
        },
      )}
      extensions={[
        {
          name: 'PlatformServiceName',
          component: ServiceNameField,
          validation: serviceNameValidation,
        },
      ]}
      onCreate={jest.fn()}
    />,
    { apis: [[platformApiRef, platformApi]] },
  );
  return { checkServiceName };
}

/** What the field says about one system. */
function lineOf(system: string) {
  return screen.getByTestId(`service-name-check-${system}`);
}

/** "Next" validates the step and, when nothing blocks, opens the next one. */
async function expectNextToOpenTheNextStep() {
  await userEvent.click(screen.getByRole('button', { name: 'Next' }));
  expect(await screen.findByLabelText('Replicas')).toBeInTheDocument();
}

async function typeName(name: string) {
  await userEvent.type(screen.getByLabelText(/Service name/), name);
}

describe('ServiceNameField', () => {
  const server = setupServer();
  registerMswTestHooks(server);

  beforeEach(() => {
    // The stepper scrolls to the top of each step; jsdom does not scroll.
    window.scrollTo = jest.fn();
  });

  it('shows a free name as free everywhere, with the exact names it gives', async () => {
    const { checkServiceName } = await renderCreatePage({
      checkServiceName: async ({ name }) => allFree(name),
    });

    await typeName('payments');

    expect(await screen.findByText('Catalog: free')).toBeInTheDocument();
    expect(screen.getByText('GitHub: free')).toBeInTheDocument();
    expect(screen.getByText('Cluster prod: free')).toBeInTheDocument();
    expect(screen.getByTestId('service-name-targets')).toHaveTextContent(
      'Creates the repository acme/payments, the namespace payments and the catalog entity component:default/payments.',
    );
    expect(checkServiceName).toHaveBeenCalledWith({
      name: 'payments',
      githubOwner: 'acme',
      githubHost: undefined,
      cluster: 'prod',
    });

    await expectNextToOpenTheNextStep();
  });

  it('gives the reason of each system where the name is taken, and does not let the user go on', async () => {
    const { checkServiceName } = await renderCreatePage({
      checkServiceName: async ({ name }) => takenOnGithubAndCluster(name),
    });

    await typeName('payments');

    expect(
      await screen.findByText(
        'GitHub: acme/payments is taken — Repository acme/payments already exists on github.com; choose another name',
      ),
    ).toBeInTheDocument();
    expect(lineOf('kubernetes')).toHaveTextContent(
      'Cluster prod: namespace payments is taken — Namespace payments already exists on cluster prod; choose another name',
    );
    expect(lineOf('catalog')).toHaveTextContent('Catalog: free');

    await userEvent.click(screen.getByRole('button', { name: 'Next' }));
    // The validation asks again, with the form as it is on "Next", and the
    // scaffolder lists its errors above the form.
    expect(
      await screen.findByText(
        "'Service name' GitHub: acme/payments is taken — Repository acme/payments already exists on github.com; choose another name",
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        "'Service name' Cluster prod: namespace payments is taken — Namespace payments already exists on cluster prod; choose another name",
      ),
    ).toBeInTheDocument();
    expect(
      screen.queryByText(/'Service name' Catalog/),
    ).not.toBeInTheDocument();
    expect(checkServiceName).toHaveBeenCalledTimes(2);
    expect(screen.queryByLabelText('Replicas')).not.toBeInTheDocument();
  });

  it('shows the naming rule for an invalid name, and asks no system', async () => {
    const { checkServiceName } = await renderCreatePage({
      checkServiceName: async ({ name }) => invalidName(name),
    });

    await typeName('Payments');

    expect(
      await screen.findByText(
        `Name: Service name "Payments" is not a valid DNS-1123 label: use at most 63 lower case letters, digits and '-', starting and ending with a letter or digit`,
      ),
    ).toBeInTheDocument();
    expect(checkServiceName).toHaveBeenCalledTimes(1);
    for (const system of ['catalog', 'github', 'kubernetes']) {
      expect(
        screen.queryByTestId(`service-name-check-${system}`),
      ).not.toBeInTheDocument();
    }
    expect(
      screen.queryByTestId('service-name-targets'),
    ).not.toBeInTheDocument();
  });

  it('says so when the name cannot be checked', async () => {
    server.use(
      http.get(
        'http://backstage.test/api/scaffolder/platform/service-names/:name',
        () =>
          HttpResponse.json(
            {
              error: { name: 'Error', message: 'The catalog is unavailable' },
              response: { statusCode: 503 },
            },
            { status: 503, statusText: 'Service Unavailable' },
          ),
      ),
    );
    const client = new PlatformClient({
      discoveryApi: mockApis.discovery({ baseUrl: 'http://backstage.test' }),
      fetchApi: { fetch: (input, init) => fetch(input, init) },
    });
    await renderCreatePage({
      checkServiceName: request => client.checkServiceName(request),
    });

    await typeName('payments');

    expect(
      await screen.findByText(
        /Could not check whether the name is free\. It is checked again before anything is created\./,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'Request failed with 503 Service Unavailable: The catalog is unavailable',
      ),
    ).toBeInTheDocument();

    // A check that could not be made does not stop the user: the run's
    // preflight step checks again.
    await expectNextToOpenTheNextStep();
  });

  it('says which system was not checked, without blocking', async () => {
    await renderCreatePage({
      checkServiceName: async ({ name }) =>
        answer(name, {
          github: {
            kind: 'unchecked',
            message: 'github.com did not answer in time',
          },
        }),
    });

    await typeName('payments');

    expect(
      await screen.findByText(
        'GitHub: not checked — github.com did not answer in time',
      ),
    ).toBeInTheDocument();
    await expectNextToOpenTheNextStep();
  });

  it('asks only for the last value, once typing pauses', async () => {
    const { checkServiceName } = await renderCreatePage({
      checkServiceName: async ({ name }) => allFree(name),
    });

    await typeName('led');
    await new Promise(resolve => setTimeout(resolve, 100));
    await typeName('ger');
    expect(checkServiceName).not.toHaveBeenCalled();

    expect(await screen.findByTestId('service-name-targets')).toHaveTextContent(
      'acme/ledger',
    );
    expect(checkServiceName).toHaveBeenCalledTimes(1);
    expect(checkServiceName.mock.calls[0][0].name).toBe('ledger');
  });

  it('shows that it is checking while the answer is on its way', async () => {
    let respond!: (check: ServiceNameCheck) => void;
    await renderCreatePage({
      checkServiceName: () =>
        new Promise(resolve => {
          respond = resolve;
        }),
    });

    await typeName('payments');

    expect(
      await screen.findByText('Checking whether payments is free…'),
    ).toBeInTheDocument();
    await waitFor(() => expect(respond).toBeDefined());
    respond(allFree('payments'));
    expect(await screen.findByText('Catalog: free')).toBeInTheDocument();
    expect(
      screen.queryByText('Checking whether payments is free…'),
    ).not.toBeInTheDocument();
  });

  it('checks GitHub only once the template gives the organisation', async () => {
    const { checkServiceName } = await renderCreatePage({
      checkServiceName: async ({ name }) => answer(name, { github: undefined }),
      uiOptions: { githubOwnerField: 'github_org_elsewhere' },
    });

    await typeName('payments');

    expect(
      await screen.findByText(
        'GitHub: not checked until the organisation is chosen',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('Default cluster: free')).toBeInTheDocument();
    expect(screen.getByTestId('service-name-targets')).toHaveTextContent(
      'Creates the namespace payments and the catalog entity component:default/payments.',
    );
    const request: ServiceNameCheckRequest = checkServiceName.mock.calls[0][0];
    expect(request.githubOwner).toBeUndefined();
    expect(request.cluster).toBeUndefined();
  });
});
