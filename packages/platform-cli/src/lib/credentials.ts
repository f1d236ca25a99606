import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { InputError, isError } from '@backstage/errors';

/** The backend the CLI talks to, and the token it sends there. */
export interface Credentials {
  /** The backend's base URL, without a trailing slash. */
  url: string;
  token?: string;
}

/** `$XDG_CONFIG_HOME/platform/config.json`, or under `~/.config`. */
export function credentialsFile(): string {
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'platform', 'config.json');
}

/** The URL as the CLI stores it; rejects anything but an absolute http(s) URL. */
export function normalizeBackendUrl(value: string): string {
  if (!/^https?:\/\//i.test(value) || !URL.canParse(value)) {
    throw new InputError(
      `The backend URL ${JSON.stringify(
        value,
      )} is not an absolute http or https URL`,
    );
  }
  return value.replace(/\/+$/, '');
}

/**
 * Writes the credentials where only the user can read them. The file is
 * written beside the old one and renamed over it, so that it never exists
 * with wider permissions, not even for a moment, and a failed write leaves
 * the old credentials in place.
 */
export async function saveCredentials(
  credentials: Credentials,
): Promise<string> {
  const file = credentialsFile();
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(credentials, null, 2)}\n`, {
    mode: 0o600,
  });
  // writeFile's mode applies only to a new file; one left by an interrupted
  // run keeps whatever mode it had.
  await chmod(temporary, 0o600);
  await rename(temporary, file);
  return file;
}

async function readSavedCredentials(): Promise<Partial<Credentials>> {
  const file = credentialsFile();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isError(error) && error.code === 'ENOENT') {
      return {};
    }
    throw error;
  }
  try {
    const { url, token } = JSON.parse(text);
    return {
      url: typeof url === 'string' ? url : undefined,
      token: typeof token === 'string' ? token : undefined,
    };
  } catch {
    throw new InputError(
      `${file} is not valid JSON; run platform login again to replace it`,
    );
  }
}

/**
 * The credentials to use: `PLATFORM_URL` and `PLATFORM_TOKEN` when set, as
 * in CI where nobody runs login, otherwise what login saved.
 */
export async function readCredentials(): Promise<Credentials> {
  const saved = await readSavedCredentials();
  const rawUrl = process.env.PLATFORM_URL || saved.url;
  if (!rawUrl) {
    throw new InputError(
      'No backend URL: run platform login --url URL, or set PLATFORM_URL',
    );
  }
  const url = normalizeBackendUrl(rawUrl);
  // A saved token belongs to the saved URL; sending it to the backend that
  // PLATFORM_URL names would hand it to someone else.
  const savedToken = url === saved.url ? saved.token : undefined;
  return { url, token: process.env.PLATFORM_TOKEN || savedToken };
}
