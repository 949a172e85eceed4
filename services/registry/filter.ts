// Parses the subset of MLflow's search filter grammar the registry supports:
//   name = 'x'   name != 'x'   name LIKE 'pen%'   name ILIKE '%GUIN_'
// Anything else is a client mistake with the supported forms in the message.
import { invalid } from './errors.ts';
import type { NameFilter } from './types.ts';

// The quoted value may not contain its own quote character, so `name='a' AND name='b'` is rejected.
const CLAUSE = /^\s*name\s*(=|!=|LIKE|ILIKE)\s*(?:'([^']*)'|"([^"]*)")\s*$/i;

export function parseNameFilter(filter: string | undefined): NameFilter {
  if (filter === undefined || filter.trim() === '') return () => true;
  const m = CLAUSE.exec(filter);
  if (!m) {
    throw invalid(
      `filter_string ${JSON.stringify(filter)} is not supported; use name = '<name>', name != '<name>', name LIKE '<pattern>' or name ILIKE '<pattern>'`,
    );
  }
  const op = m[1];
  const value = m[2] ?? m[3];
  switch (op.toUpperCase()) {
    case '=':
      return (n) => n === value;
    case '!=':
      return (n) => n !== value;
    case 'LIKE':
      return likeMatcher(value, '');
    default:
      return likeMatcher(value, 'i');
  }
}

/** SQL LIKE: % is any run of characters, _ is one character, everything else is literal. */
function likeMatcher(pattern: string, flags: string): NameFilter {
  const body = Array.from(pattern)
    .map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  const re = new RegExp(`^${body}$`, `s${flags}`);
  return (n) => re.test(n);
}
