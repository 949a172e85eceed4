// Public surface of the image code: the CLI and the engine call ensureImages; the rest is for tests and tools.
export { ensureBaseImages } from './base-images.ts';
export { contextHash } from './content-hash.ts';
export { checkHostK6, ensureK6Image, type K6ImageOptions, k6VersionTag } from './k6-image.ts';
export { type EnsureImagesOptions, ensureImages } from './project-images.ts';
export {
  type BaseImages,
  type ImageSpec,
  LOCAL_BASES,
  localK6Base,
  MANAGED_LABEL,
  MANAGED_LABELS,
  PROJECT_REPOS,
  type StackImages,
} from './types.ts';
