// Public surface of the image code: the CLI and the engine call ensureImages; the rest is for tests and tools.
export { ensureBaseImages } from './base-images.ts';
export { contextHash } from './content-hash.ts';
export { type EnsureImagesOptions, ensureImages } from './project-images.ts';
export {
  type BaseImages,
  type ImageSpec,
  LOCAL_BASES,
  MANAGED_LABEL,
  MANAGED_LABELS,
  PROJECT_REPOS,
  type StackImages,
} from './types.ts';
