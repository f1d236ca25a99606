import { useApi } from '@backstage/frontend-plugin-api';
import { toError } from '@backstage/errors';
import { useEffect, useState } from 'react';
import useDebounce from 'react-use/esm/useDebounce';
import {
  platformApiRef,
  ServiceNameCheck,
  ServiceNameCheckRequest,
} from '../../api/PlatformApi';

/** Where the check of the name being typed stands. */
export type ServiceNameCheckState =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'done'; check: ServiceNameCheck }
  | { status: 'failed'; error: Error };

/**
 * Checks the name once the user has stopped typing for `debounceMs`: only
 * the last value is asked, and an answer for an earlier value never shows.
 * `undefined` (an empty field) asks nothing.
 */
export function useServiceNameCheck(
  request: ServiceNameCheckRequest | undefined,
  debounceMs: number,
): ServiceNameCheckState {
  const platformApi = useApi(platformApiRef);
  // The request as a string: a stable dependency, and the key that ties an
  // answer to the value it was asked for.
  const key = request ? JSON.stringify(request) : undefined;
  const [asked, setAsked] = useState<string | undefined>(undefined);
  useDebounce(() => setAsked(key), debounceMs, [key]);
  const [answer, setAnswer] = useState<
    { key: string } & (
      | { check: ServiceNameCheck; error?: undefined }
      | { error: Error }
    )
  >();

  useEffect(() => {
    if (!asked) {
      return undefined;
    }
    let current = true;
    platformApi.checkServiceName(JSON.parse(asked)).then(
      check => current && setAnswer({ key: asked, check }),
      error => current && setAnswer({ key: asked, error: toError(error) }),
    );
    return () => {
      current = false;
    };
  }, [platformApi, asked]);

  if (!key) {
    return { status: 'idle' };
  }
  if (answer?.key !== key) {
    return { status: 'loading' };
  }
  if (answer.error) {
    return { status: 'failed', error: answer.error };
  }
  return { status: 'done', check: answer.check };
}
