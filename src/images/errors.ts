/**
 * What went wrong in the image domain, by meaning. Each front maps a kind to its wire form
 * exactly once (services/ecr/map-errors.ts for the API, registry/map-errors.ts for the registry).
 */
export interface ImageErrorArgs {
  RepositoryNotFound: { name: string; registryId: string };
  RepositoryAlreadyExists: { name: string; registryId: string };
  RepositoryNotEmpty: { name: string; registryId: string };
}

export type ImageErrorKind = keyof ImageErrorArgs;

export class ImageError<K extends ImageErrorKind = ImageErrorKind> extends Error {
  constructor(
    readonly kind: K,
    readonly args: ImageErrorArgs[K],
  ) {
    super(`${kind} ${JSON.stringify(args)}`);
  }
}

export function isImageError<K extends ImageErrorKind>(e: unknown, kind: K): e is ImageError<K> {
  return e instanceof ImageError && e.kind === kind;
}
