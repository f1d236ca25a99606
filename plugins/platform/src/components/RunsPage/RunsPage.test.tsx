import { ResponseError } from '@backstage/errors';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { PlatformRun } from '@internal/plugin-platform-common';
import { screen, within } from '@testing-library/react';
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
  templateRef: 'template:default/new-service',
  createdBy: 'user:default/ada',
  createdAt: '2026-11-23T10:00:00.000Z',
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

function renderRuns(listRuns: PlatformApi['listRuns']) {
  return renderInTestApp(<RunsPage />, {
    apis: [[platformApiRef, { listRuns }]],
  });
}

describe('RunsPage', () => {
  it('shows each resource with its rollback outcome and links to the task page', async () => {
    renderRuns(async () => [failedRun]);

    const link = await screen.findByRole('link', { name: 'Task task-1' });
    expect(link).toHaveAttribute('href', '/create/tasks/task-1');
    const run = screen.getByTestId('platform-run');
    expect(within(run).getByText('failed')).toBeInTheDocument();
    expect(
      within(run).getByText(/template template:default\/new-service/),
    ).toBeInTheDocument();

    const rows = within(run).getAllByRole('row').slice(1);
    expect(within(rows[0]).getByText('create-repo')).toBeInTheDocument();
    expect(within(rows[0]).getByTestId('resource-state')).toHaveTextContent(
      'rolled back',
    );
    expect(
      within(rows[0]).getByRole('link', { name: /^acme\/payments/ }),
    ).toHaveAttribute('href', 'https://git.example.com/acme/payments');
    expect(within(rows[1]).getByTestId('resource-state')).toHaveTextContent(
      'rollback failed',
    );
    expect(within(rows[1]).getByTestId('resource-reason')).toHaveTextContent(
      'The cluster refused to delete namespace payments: forbidden.',
    );
  });

  it('says so when no run has used a platform action', async () => {
    renderRuns(async () => []);
    expect(
      await screen.findByText(/No run has used a platform action yet/),
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
