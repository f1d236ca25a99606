import { InputError } from '@backstage/errors';

const SUFFIXES: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

/**
 * A Kubernetes quantity (`500m`, `8Gi`, `20`) as a number, so limits can be
 * compared. Precise enough for comparisons of quota sizes; exponent forms
 * (`1e3`) are not accepted.
 */
export function parseQuantity(value: string, what: string): number {
  const match = QUANTITY.exec(value.trim());
  if (!match) {
    throw new InputError(
      `${what} ${JSON.stringify(
        value,
      )} is not a Kubernetes quantity such as 500m, 2 or 8Gi`,
    );
  }
  return Number(match[1]) * SUFFIXES[match[2] ?? ''];
}
