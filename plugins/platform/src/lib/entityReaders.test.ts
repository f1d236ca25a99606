import { readOwnerAndLifecycle } from './entityReaders';
import { testEntity } from '../__testUtils__/entities';

describe('readOwnerAndLifecycle', () => {
  it('reads a bare owner name as a group in the entity namespace', () => {
    expect(
      readOwnerAndLifecycle(
        testEntity({ name: 'a', owner: 'team-a', lifecycle: 'production' }),
      ),
    ).toEqual({ owner: 'group:default/team-a', lifecycle: 'production' });
  });

  it('keeps an owner that names its kind', () => {
    expect(
      readOwnerAndLifecycle(testEntity({ name: 'a', owner: 'user:ada' })),
    ).toEqual({ owner: 'user:default/ada', lifecycle: undefined });
  });

  it('leaves out what the entity does not declare', () => {
    expect(readOwnerAndLifecycle(testEntity({ name: 'a' }))).toEqual({
      owner: undefined,
      lifecycle: undefined,
    });
  });
});
