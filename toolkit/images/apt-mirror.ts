// Which Debian mirror this machine's apt already uses, so debootstrap fetches from the same place.
// Never a hard-coded host: air-gapped machines reach only their configured mirror.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError } from '../errors.ts';

interface Source {
  uri: string;
  suites: string[];
}

/** deb822 stanzas (`URIs:` / `Suites:`), as in /etc/apt/sources.list.d/debian.sources. */
export function parseDeb822Sources(text: string): Source[] {
  const sources: Source[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (m && !line.startsWith('#')) fields.set(m[1].toLowerCase(), m[2].trim());
    }
    const types = (fields.get('types') ?? 'deb').split(/\s+/);
    if (!types.includes('deb') || fields.get('enabled') === 'no') continue;
    const suites = (fields.get('suites') ?? '').split(/\s+/).filter(Boolean);
    for (const uri of (fields.get('uris') ?? '').split(/\s+/).filter(Boolean)) sources.push({ uri, suites });
  }
  return sources;
}

/** One-line format: `deb [options] URI suite components...`. */
export function parseOneLineSources(text: string): Source[] {
  const sources: Source[] = [];
  for (const raw of text.split('\n')) {
    const line = raw
      .replace(/#.*$/, '')
      .replace(/\[[^\]]*\]/, '')
      .trim();
    const [type, uri, suite] = line.split(/\s+/);
    if (type === 'deb' && uri && suite) sources.push({ uri, suites: [suite] });
  }
  return sources;
}

/** The mirror serving the release itself (not -security / -updates), else the first deb source. */
export function pickMirror(sources: Source[], release: string): string | undefined {
  const main = sources.find((s) => s.suites.includes(release)) ?? sources[0];
  return main?.uri.replace(/\/+$/, '');
}

export function readAptMirror(release = 'bookworm', etcApt = '/etc/apt'): string {
  const sources: Source[] = [];
  const dir = join(etcApt, 'sources.list.d');
  if (existsSync(dir)) {
    for (const name of readdirSync(dir).sort()) {
      const text = readFileSync(join(dir, name), 'utf8');
      if (name.endsWith('.sources')) sources.push(...parseDeb822Sources(text));
      else if (name.endsWith('.list')) sources.push(...parseOneLineSources(text));
    }
  }
  const list = join(etcApt, 'sources.list');
  if (existsSync(list)) sources.push(...parseOneLineSources(readFileSync(list, 'utf8')));
  const mirror = pickMirror(sources, release);
  if (!mirror) {
    throw new RuntimeError(
      `no Debian mirror found in ${etcApt}/sources.list or ${dir}`,
      'configure apt (e.g. /etc/apt/sources.list.d/debian.sources with a "URIs:" line) or use images that exist locally',
    );
  }
  return mirror;
}
