/**
 * True when `e` is the error of an `import()` that failed because package `name` is not
 * installed (the optional packages: @ringkit/shm, @ringkit/nats, @ringkit/board), so the caller
 * can say how to install it; any other failure (the package is there but broken) is rethrown
 * by the caller.
 */
export function isMissingPackage(e: unknown, name: string): boolean {
  const err = e as { code?: unknown; message?: unknown } | null;
  return err !== null && typeof err === 'object' && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes(`'${name}`);
}
