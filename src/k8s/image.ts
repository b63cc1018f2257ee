// Image references as the kubelet reads them before EnsureImageExists
// (pkg/util/parsers ParseImageName over github.com/distribution/reference, and
// pkg/kubelet/images/image_manager.go applyDefaultImageTag): an unparsable
// reference is InvalidImageName; one with neither tag nor digest gets `:latest`.

const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const domain = `(?:${domainName}|${ipv6})(?::[0-9]+)?`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^((?:${domain}/)?${pathComponent}(?:/${pathComponent})*)(?::(${tag}))?(?:@(${digest}))?$`);

export const DEFAULT_IMAGE_TAG = 'latest';

export type ImageSpec = { ok: true; image: string } | { ok: false; error: string };

/**
 * applyDefaultImageTag: `busybox` → `busybox:latest`; tagged or digested references stay
 * as written; anything else is the parser's error, worded as the kubelet words it.
 */
export function applyDefaultImageTag(image: string): ImageSpec {
  const m = REFERENCE.exec(image);
  // Docker Hub names are lower case; a first component is only a domain with a dot, a port or "localhost".
  if (!m || image.length > 255) return { ok: false, error: `couldn't parse image name ${JSON.stringify(image)}: invalid reference format` };
  const name = m[1]!;
  const first = name.split('/')[0]!;
  const hasDomain = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasDomain && /[A-Z]/.test(name)) {
    return { ok: false, error: `couldn't parse image name ${JSON.stringify(image)}: invalid reference format: repository name (${name}) must be lowercase` };
  }
  if (m[2] !== undefined || m[3] !== undefined) return { ok: true, image };
  return { ok: true, image: `${image}:${DEFAULT_IMAGE_TAG}` };
}
