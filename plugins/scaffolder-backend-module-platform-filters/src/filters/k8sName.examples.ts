import { filterExample } from './filterExample';

export const examples = [
  filterExample({
    filterId: 'k8s_name',
    description: 'A display name becomes a lowercase name with dashes',
    input: 'Payments API',
    output: 'payments-api',
  }),
  filterExample({
    filterId: 'k8s_name',
    description: 'Accents are folded and dashes at either end are dropped',
    input: '-Zürich_Ledger-',
    output: 'zurich-ledger',
  }),
  filterExample({
    filterId: 'k8s_name',
    description: 'A name starting with a digit gets a letter in front',
    input: '2fa-service',
    output: 'x-2fa-service',
  }),
  filterExample({
    filterId: 'k8s_name',
    description: 'A name longer than 63 characters is shortened with a hash',
    input:
      'customer-onboarding-identity-verification-document-processing-service',
    output: 'customer-onboarding-identity-verification-document-pro-573f17c2',
  }),
];
