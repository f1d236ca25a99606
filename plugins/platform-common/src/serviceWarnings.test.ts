import { ANNOTATION_ON_CALL_URL } from './ownership';
import { findServiceWarnings } from './serviceWarnings';
import { entityAt } from './__testUtils__/catalog';

describe('findServiceWarnings', () => {
  const withOnCall = (url: string) => ({
    ...entityAt('component:default/payments', { lifecycle: 'production' }),
    metadata: {
      name: 'payments',
      annotations: { [ANNOTATION_ON_CALL_URL]: url },
    },
  });

  it('warns about a production service nobody is on call for', () => {
    expect(
      findServiceWarnings(
        entityAt('component:default/payments', { lifecycle: 'production' }),
      ),
    ).toEqual(['In production without an on-call rotation.']);
  });

  it('counts an on-call URL that is not a web URL as none', () => {
    expect(findServiceWarnings(withOnCall('oncall/payments'))).toHaveLength(1);
  });

  it('is content with an on-call rotation, or a service not in production', () => {
    expect(
      findServiceWarnings(withOnCall('https://oncall.example.com/payments')),
    ).toEqual([]);
    expect(
      findServiceWarnings(
        entityAt('component:default/lab', { lifecycle: 'experimental' }),
      ),
    ).toEqual([]);
  });
});
