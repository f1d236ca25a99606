import { toEnvVar } from './envVar';

const POSIX_NAME = /^[A-Z_][A-Z0-9_]*$/;

describe('env_var', () => {
  it.each([
    ['payments-api', 'PAYMENTS_API'],
    ['Payments API', 'PAYMENTS_API'],
    ['--payments--api--', 'PAYMENTS_API'],
    ['ledger.v2/read', 'LEDGER_V2_READ'],
    ['Crème Brûlée', 'CREME_BRULEE'],
    ['3d-render', '_3D_RENDER'],
  ])('turns %j into %j', (input, expected) => {
    expect(toEnvVar(input)).toBe(expected);
    expect(toEnvVar(input)).toMatch(POSIX_NAME);
  });

  it.each([[''], ['-_-'], [null], [{}]])(
    'refuses %j, which has no letter or digit to build a name from',
    input => {
      expect(() => toEnvVar(input)).toThrow(/^env_var /);
    },
  );
});
