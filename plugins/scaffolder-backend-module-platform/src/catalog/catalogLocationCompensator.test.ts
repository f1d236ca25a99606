import { mockServices } from '@backstage/backend-test-utils';
import { NotAllowedError, ServiceUnavailableError } from '@backstage/errors';
import {
  JournalEntry,
  TransientCompensationError,
} from '@internal/plugin-platform-node';
import {
  component,
  FakeCatalog,
  registeredElsewhere,
} from '@internal/platform-test-utils';
import {
  CatalogLocationFacts,
  createCatalogLocationCompensator,
} from './catalogLocationCompensator';

const URL = 'https://github.com/acme/payments/blob/main/catalog-info.yaml';
const REF = 'component:default/payments';

describe('the catalog:location compensator', () => {
  let catalog: FakeCatalog;
  const signal = new AbortController().signal;

  beforeEach(() => {
    catalog = new FakeCatalog();
    catalog.files.set(URL, { entities: [component('payments')] });
  });

  const compensator = () =>
    createCatalogLocationCompensator({
      catalog: catalog.service,
      auth: mockServices.auth({ pluginId: 'scaffolder' }),
    });

  const entry = (
    facts: Partial<CatalogLocationFacts>,
    state: JournalEntry['state'] = 'created',
  ): JournalEntry => ({
    id: 'entry-1',
    taskId: 'task-1',
    stepId: 'register',
    kind: 'catalog:location',
    identity: URL,
    url: URL,
    state,
    createdAt: '2024-01-01T00:00:00Z',
    updatedAt: '2024-01-01T00:00:00Z',
    data: { target: URL, entityRefs: [REF], ...facts },
  });

  async function register(): Promise<string> {
    const { location } = await catalog.service.addLocation({
      type: 'url',
      target: URL,
    });
    return location.id;
  }

  it('unregisters the recorded location with its own service credentials, and the catalog prunes its entities', async () => {
    const locationId = await register();
    expect(catalog.entities.has(REF)).toBe(true);

    await expect(
      compensator().compensate(entry({ locationId }), { signal }),
    ).resolves.toBe('deleted');

    expect(catalog.locations.size).toBe(0);
    expect(catalog.entities.has(REF)).toBe(false);
    expect(catalog.service.removeLocationById).toHaveBeenCalledWith(
      locationId,
      {
        credentials: expect.objectContaining({
          principal: expect.objectContaining({ type: 'service' }),
        }),
      },
    );
  });

  it('counts a location that is gone as done, and leaves a new registration of the same file alone', async () => {
    const locationId = await register();
    await catalog.service.removeLocationById(locationId);
    const someoneElses = await register();

    await expect(
      compensator().compensate(
        entry({
          locationId,
          entityUids: { [REF]: 'uid-of-the-run' },
        }),
        { signal },
      ),
    ).resolves.toBe('already_gone');
    expect([...catalog.locations.keys()]).toEqual([someoneElses]);
    expect(catalog.entities.has(REF)).toBe(true);
  });

  it('reports a location it has no id for instead of deleting it', async () => {
    await register();

    await expect(
      compensator().compensate(entry({}, 'pending'), { signal }),
    ).rejects.toThrow(
      `The run recorded no id for location url:${URL}, so it cannot prove that location location-1 is the one it registered; if it is the run's, unregister it by hand`,
    );
    expect(catalog.service.removeLocationById).not.toHaveBeenCalled();
    expect(catalog.locations.size).toBe(1);
  });

  it('counts an intent whose location does not exist as done', async () => {
    await expect(
      compensator().compensate(entry({}, 'pending'), { signal }),
    ).resolves.toBe('already_gone');
  });

  it('reports an entity of the location that the catalog still holds', async () => {
    const locationId = await register();
    const uid = catalog.entities.get(REF)!.metadata.uid!;
    // Something else keeps the entity: it survives the location.
    catalog.service.removeLocationById.mockImplementationOnce(async () => {
      catalog.locations.delete(locationId);
    });

    await expect(
      compensator().compensate(
        entry({ locationId, entityUids: { [REF]: uid } }),
        { signal },
      ),
    ).rejects.toThrow(
      new TransientCompensationError(
        `Location url:${URL} is unregistered, but the catalog still holds ${REF} from it`,
      ),
    );
  });

  it('does not count an entity of the same name from elsewhere as left over', async () => {
    const locationId = await register();
    await catalog.service.removeLocationById(locationId);
    catalog.entities.set(
      REF,
      registeredElsewhere(
        component('payments'),
        'https://github.com/acme/other/blob/main/catalog-info.yaml',
      ),
    );

    await expect(
      compensator().compensate(entry({ locationId }), { signal }),
    ).resolves.toBe('already_gone');
  });

  it.each([
    [
      new ServiceUnavailableError('catalog restarting'),
      TransientCompensationError,
      `Could not unregister location url:${URL}: catalog restarting`,
    ],
    [
      new NotAllowedError('Not allowed to delete locations'),
      Error,
      `Could not unregister location url:${URL}: Not allowed to delete locations. The scaffolder's service credentials need permission to unregister location url:${URL}; otherwise unregister it by hand`,
    ],
  ])('fails in words on %s', async (error, type, message) => {
    const locationId = await register();
    catalog.failNext('removeLocationById', error);

    const run = compensator().compensate(entry({ locationId }), { signal });
    await expect(run).rejects.toThrow(type);
    await expect(run).rejects.toThrow(message);
  });
});
