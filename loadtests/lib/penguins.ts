// Request bodies drawn from the real penguins data (data/penguins.csv, read once at init with k6's open()),
// so the model sees the same feature distribution under load as in training. Rows with NA are skipped.

export interface Instance {
  island: string;
  bill_length_mm: number;
  bill_depth_mm: number;
  flipper_length_mm: number;
  body_mass_g: number;
  sex: string;
}

const NUMERIC = ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g'] as const;

export function parsePenguins(csv: string): Instance[] {
  const [header, ...lines] = csv.trim().split(/\r?\n/);
  const cols = header.split(',');
  const at = (name: string) => {
    const i = cols.indexOf(name);
    if (i < 0) throw new Error(`penguins data: no column ${name}`);
    return i;
  };
  const island = at('island');
  const sex = at('sex');
  const nums = NUMERIC.map(at);
  const out: Instance[] = [];
  for (const line of lines) {
    const f = line.split(',');
    const values = nums.map((i) => Number(f[i]));
    if (values.some((v) => !Number.isFinite(v)) || (f[sex] !== 'female' && f[sex] !== 'male')) continue;
    out.push({
      island: f[island],
      bill_length_mm: values[0],
      bill_depth_mm: values[1],
      flipper_length_mm: values[2],
      body_mass_g: values[3],
      sex: f[sex],
    });
  }
  if (out.length === 0) throw new Error('penguins data: no complete rows');
  return out;
}

// Resolved against this file, so the scripts work from any working directory.
const rows = parsePenguins(open(__ENV.DATA_FILE || import.meta.resolve('../../data/penguins.csv')));

/** `size` instances picked at random (with replacement), for one /predict body. */
export function sampleInstances(size: number): Instance[] {
  const out: Instance[] = [];
  for (let i = 0; i < size; i++) out.push(rows[Math.floor(Math.random() * rows.length)]);
  return out;
}
