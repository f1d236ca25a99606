import { readOwnerAndLifecycle } from './entityReaders';
import { entityAt } from './__testUtils__/catalog';

describe('readOwnerAndLifecycle', () => {
  it('reads a bare owner name as a group in the entity namespace', () => {
    expect(
      readOwnerAndLifecycle(
        entityAt('component:default/a', {
          owner: 'team-a',
          lifecycle: 'production',
        }),
      ),
    ).toEqual({ owner: 'group:default/team-a', lifecycle: 'production' });
  });

  it('keeps an owner that names its kind', () => {
    expect(
      readOwnerAndLifecycle(
        entityAt('component:default/a', { owner: 'user:ada' }),
      ),
    ).toEqual({ owner: 'user:default/ada', lifecycle: undefined });
  });

  it('leaves out what the entity does not declare', () => {
    expect(readOwnerAndLifecycle(entityAt('component:default/a'))).toEqual({
      owner: undefined,
      lifecycle: undefined,
    });
  });
});
