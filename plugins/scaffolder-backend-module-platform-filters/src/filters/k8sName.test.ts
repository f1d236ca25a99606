import { toK8sName } from './k8sName';

// The stricter of the two Kubernetes label rules (RFC 1035): Service names
// must satisfy it, and every RFC 1035 label is also an RFC 1123 label.
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

describe('k8s_name', () => {
  it.each([
    ['payments-api', 'payments-api'],
    ['Payments API', 'payments-api'],
    ['  payments__api  ', 'payments-api'],
    ['--payments--', 'payments'],
    ['Crème Brûlée', 'creme-brulee'],
    ['payments.api/v2', 'payments-api-v2'],
    ['42', 'x-42'],
  ])('turns %j into %j', (input, expected) => {
    expect(toK8sName(input)).toBe(expected);
  });

  it.each([
    'a',
    'A-',
    '9lives',
    'x'.repeat(200),
    `${'ab-'.repeat(30)}c`,
    `${'a'.repeat(54)}-----${'b'.repeat(20)}`,
    '日本語 service',
    'über_ÅNGSTRÖM.service',
  ])('yields a valid label of at most 63 characters for %j', input => {
    const name = toK8sName(input);
    expect(name).toMatch(DNS_1035_LABEL);
    expect(name.length).toBeLessThanOrEqual(63);
  });

  it('shortens long names deterministically and keeps them apart', () => {
    const prefix = 'a-very-long-service-name-that-shares-a-common-prefix-with';
    const first = toK8sName(`${prefix}-billing`);
    const second = toK8sName(`${prefix}-shipping`);
    expect(first).toHaveLength(63);
    expect(toK8sName(`${prefix}-billing`)).toBe(first);
    expect(second).not.toBe(first);
    expect(first.startsWith(prefix.slice(0, 54))).toBe(true);
  });

  it.each([[''], ['---'], ['!!!'], [undefined], [42]])(
    'refuses %j, which has no letter or digit to build a name from',
    input => {
      expect(() => toK8sName(input)).toThrow(/^k8s_name /);
    },
  );
});
