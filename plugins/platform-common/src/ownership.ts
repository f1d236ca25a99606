/**
 * Annotations that carry ownership data beside `spec.owner`. Each value must
 * be an absolute URL.
 *
 * @public
 */
export const ANNOTATION_ON_CALL_URL = 'platform.internal/on-call-url';
/** @public */
export const ANNOTATION_DOCS_URL = 'platform.internal/docs-url';
/** @public */
export const ANNOTATION_REPOSITORY_URL = 'platform.internal/repository-url';
