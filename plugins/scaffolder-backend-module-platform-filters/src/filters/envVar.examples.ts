import { filterExample } from './filterExample';

export const examples = [
  filterExample({
    filterId: 'env_var',
    description: 'A service name becomes an environment variable name',
    input: 'payments-api',
    output: 'PAYMENTS_API',
  }),
  filterExample({
    filterId: 'env_var',
    description: 'Spaces, dots and accents are normalised',
    input: 'Zürich ledger.v2',
    output: 'ZURICH_LEDGER_V2',
  }),
  filterExample({
    filterId: 'env_var',
    description: 'A leading digit gets an underscore in front',
    input: '3d-render',
    output: '_3D_RENDER',
  }),
];
