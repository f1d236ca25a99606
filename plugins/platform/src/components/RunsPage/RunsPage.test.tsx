import { ResponseError } from '@backstage/errors';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { PlatformRun, PlatformRunPage } from '@internal/plugin-platform-common';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useLocation } from 'react-router-dom';
import { PlatformApi, platformApiRef } from '../../api/PlatformApi';
import { RunsPage } from './RunsPage';

function resource(
  overrides: Partial<PlatformRun['resources'][number]>,
): PlatformRun['resources'][number] {
  return {
    id: 'r1',
    taskId: 'task-1',
    stepId: 'create-repo',
    kind: 'github:repository',
    identity: 'acme/payments',
    state: 'created',
    createdAt: '2026-11-23T10:00:00.000Z',
    updatedAt: '2026-11-23T10:00:00.000Z',
    ...overrides,
  };
}

const failedRun: PlatformRun = {
  taskId: 'task-1',
  status: 'failed',
  serviceName: 'payments',
  templateRef: 'template:default/microservice',
  createdBy: 'user:default/ada',
  createdAt: '2026-11-23T10:00:00.000Z',
  durationMs: 90_000,
  rollback: { rolledBack: 1, failed: 1, inProgress: 0 },
  resources: [
    resource({
      id: 'r1',
      state: 'rolled_back',
      url: 'https://git.example.com/acme/payments',
    }),
    resource({
      id: 'r2',
      stepId: 'create-namespace',
      kind: 'kubernetes:namespace',
      identity: 'prod/ns/payments',
      state: 'rollback_failed',
      reason: 'The cluster refused to delete namespace payments: forbidden.',
    }),
  ],
};

/** A run its preflight refused: it created nothing, and is still listed. */
const refusedRun: PlatformRun = {
  taskId: 'task-2',
  status: 'failed',
  serviceName: 'checkout',
  templateRef: 'template:default/website',
  createdBy: 'user:default/grace',
  createdAt: '2026-11-23T11:00:00.000Z',
  resources: [],
};

const catalog = () =>
  catalogApiMock({
    entities: [
      {
        apiVersion: 'scaffolder.backstage.io/v1beta3',
        kind: 'Template',
        metadata: { name: 'microservice', title: 'Microservice' },
        spec: {},
      },
      {
        apiVersion: 'scaffolder.backstage.io/v1beta3',
        kind: 'Template',
        metadata: { name: 'website', title: 'Website' },
        spec: {},
      },
    ],
  });

/** Shows the query string, as the address bar would. */
function AddressBar() {
  return <output aria-label="address">{useLocation().search}</output>;
}

function address() {
  return new URLSearchParams(screen.getByLabelText('address').textContent!);
}

function renderRuns(listRuns: PlatformApi['listRuns'], url = '/platform/runs') {
  return renderInTestApp(
    <>
      <RunsPage />
      <AddressBar />
    </>,
    {
      apis: [[platformApiRef, { listRuns }], catalog()],
      initialRouteEntries: [url],
    },
  );
}

const pageOf = (
  runs: PlatformRun[],
  more: Partial<PlatformRunPage> = {},
): PlatformRunPage => ({ runs, totalItems: runs.length, ...more });

async function choose(filter: string, option: string) {
  await userEvent.click(screen.getByLabelText(filter));
  await userEvent.click(await screen.findByRole('option', { name: option }));
}

describe('RunsPage', () => {
  it('titles each run by its service and template, says who started it, when, how long it took and what rollback did', async () => {
    renderRuns(async () => pageOf([failedRun, refusedRun]));

    const link = await screen.findByRole('link', {
      name: 'payments (Microservice)',
    });
    expect(link).toHaveAttribute('href', '/create/tasks/task-1');
    const [failed, refused] = screen.getAllByTestId('platform-run');
    expect(within(failed).getByTestId('run-details')).toHaveTextContent(
      new RegExp(
        `^failed · started by ada · ${new Date(
          failedRun.createdAt,
        ).toLocaleString()} · took 1 min 30 s · rollback: 1 rolled back, 1 left over$`,
      ),
    );
    expect(screen.getByText('2 runs')).toBeInTheDocument();

    const rows = within(failed).getAllByRole('row').slice(1);
    expect(within(rows[0]).getByTestId('resource-state')).toHaveTextContent(
      'rolled back',
    );
    expect(within(rows[1]).getByTestId('resource-reason')).toHaveTextContent(
      'The cluster refused to delete namespace payments: forbidden.',
    );

    expect(
      within(refused).getByRole('link', { name: 'checkout (Website)' }),
    ).toBeInTheDocument();
    expect(within(refused).getByTestId('run-details')).toHaveTextContent(
      /^failed · started by grace · [^·]+$/,
    );
    expect(
      within(refused).getByText('This run created nothing.'),
    ).toBeInTheDocument();
  });

  it('reads the filters from the URL into labelled inputs and asks the backend for them', async () => {
    const listRuns = jest.fn(async () => pageOf([refusedRun]));
    renderRuns(
      listRuns,
      '/platform/runs?whose=my-teams&status=failed&template=template%3Adefault%2Fwebsite',
    );
    await screen.findByRole('link', { name: 'checkout (Website)' });
    expect(listRuns).toHaveBeenCalledWith({
      whose: 'my-teams',
      status: 'failed',
      template: 'template:default/website',
      limit: 20,
    });
    expect(screen.getByLabelText('Whose runs')).toHaveTextContent("My teams'");
    expect(screen.getByLabelText('Status')).toHaveTextContent('failed');
    expect(await screen.findByLabelText('Template')).toHaveTextContent(
      'Website',
    );
  });

  it('keeps a chosen filter in the URL and starts again at the first page', async () => {
    const listRuns = jest.fn(async () => pageOf([failedRun]));
    renderRuns(listRuns, '/platform/runs?cursor=page-3');
    await screen.findByRole('link', { name: 'payments (Microservice)' });

    await choose('Whose runs', 'Mine');
    await choose('Status', 'cancelled');
    expect(address().toString()).toBe('whose=mine&status=cancelled');
    expect(listRuns).toHaveBeenLastCalledWith({
      whose: 'mine',
      status: 'cancelled',
      template: undefined,
      limit: 20,
    });
    await choose('Template', 'Microservice');
    expect(address().get('template')).toBe('template:default/microservice');
  });

  it("pages with the backend's cursors", async () => {
    const listRuns = jest.fn(async (query?: { cursor?: string }) =>
      query?.cursor === 'page-2'
        ? pageOf([refusedRun], { totalItems: 2, prevCursor: 'page-1' })
        : pageOf([failedRun], { totalItems: 2, nextCursor: 'page-2' }),
    );
    renderRuns(listRuns);
    await screen.findByRole('link', { name: 'payments (Microservice)' });
    expect(screen.getByText('2 runs')).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Previous page' }),
    ).toBeDisabled();

    await userEvent.click(screen.getByRole('button', { name: 'Next page' }));
    expect(
      await screen.findByRole('link', { name: 'checkout (Website)' }),
    ).toBeInTheDocument();
    expect(address().get('cursor')).toBe('page-2');
    expect(listRuns).toHaveBeenLastCalledWith({ cursor: 'page-2', limit: 20 });
    expect(screen.getByRole('button', { name: 'Next page' })).toBeDisabled();
  });

  it('tells an empty list from an empty filter', async () => {
    renderRuns(async () => pageOf([]));
    expect(
      await screen.findByText(
        'No runs yet. A run appears here as soon as someone starts a template.',
      ),
    ).toBeInTheDocument();
  });

  it('says no run matches when filters leave none', async () => {
    renderRuns(async () => pageOf([]), '/platform/runs?status=cancelled');
    expect(
      await screen.findByText('No run matches these filters.'),
    ).toBeInTheDocument();
  });

  it('says what failed, with the server explanation, when the runs cannot be loaded', async () => {
    const error = await ResponseError.fromResponse(
      new Response(
        JSON.stringify({
          error: {
            name: 'NotAllowedError',
            message: 'Not allowed to list runs',
          },
          response: { statusCode: 403 },
        }),
        {
          status: 403,
          statusText: 'Forbidden',
          headers: { 'Content-Type': 'application/json' },
        },
      ),
    );
    renderRuns(async () => {
      throw error;
    });
    expect(
      await screen.findByText(/Could not load the platform runs/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'Request failed with 403 Forbidden: Not allowed to list runs',
      ),
    ).toBeInTheDocument();
  });
});
