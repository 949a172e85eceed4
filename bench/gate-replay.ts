// Replays stopping rules on comparisons recorded by `bench/gate.ts --record out.json` (every comparison measured for
// all its rounds): a rule only decides after which round a comparison stops and with what verdict, so replaying it
// on the recorded rounds gives exactly the verdicts a live run with that rule would have given on those measurements.
// Prints, per level and rule, fail / pass / inconclusive and the median rounds used; --detail adds every
// comparison's per-round ratios and verdicts.
//
//   npx tsx bench/gate-replay.ts out.json [more.json …] [--detail] [--json]
//
// Rules: "shipped" is toolkit/gate/stopping.ts as it is; the others are candidates, each the shipped rule with one
// more condition on a fail (the pass side unchanged).
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { median } from '../toolkit/analyse/stats.ts';
import type { RegressionConfig } from '../toolkit/gate/config.ts';
import type { RegressionOutcome } from '../toolkit/gate/regression.ts';
import {
  beyondLimit,
  judgeRounds,
  type MeasuredRound,
  roundRatio,
  type StoppingContext,
} from '../toolkit/gate/stopping.ts';
import { judgeRegression, type RegressionJudgement, type Verdict } from '../toolkit/gate/verdict.ts';

const { values: args, positionals: files } = parseArgs({
  allowPositionals: true,
  options: { detail: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
});

interface Recording {
  config: RegressionConfig;
  levels: Array<{
    regressionPct: number;
    slowdownPct: number;
    tunedChange: number;
    outcomes: Array<RegressionOutcome & { baselineUrl: string; candidateUrl: string }>;
  }>;
}

type Rule = (rounds: MeasuredRound[], ctx: StoppingContext) => RegressionJudgement;

/** The shipped rule, with a fail held back (inconclusive) unless `holds`. */
const failOnlyIf =
  (holds: (rounds: MeasuredRound[], ctx: StoppingContext, j: RegressionJudgement) => boolean, why: string): Rule =>
  (rounds, ctx) => {
    const j = judgeRounds(rounds, ctx);
    return j.verdict !== 'fail' || holds(rounds, ctx, j)
      ? j
      : { ...j, verdict: 'inconclusive', reason: `${j.reason}; ${why}` };
  };

const ratios = (rounds: MeasuredRound[], ctx: StoppingContext) => {
  const b = rounds.flatMap((r) => r.baseline);
  const c = rounds.flatMap((r) => r.candidate);
  return rounds.map((r) => roundRatio(r, b, c, ctx));
};
const beyond = (x: number, j: RegressionJudgement, ctx: StoppingContext) =>
  beyondLimit(x, j.limit, ctx.config.policy.better);

const RULES: Record<string, Rule> = {
  shipped: judgeRounds,
  // No verdict at all, pass or fail, before round 2 (what placement per round gives anyway).
  'two-rounds': (rounds, ctx) => {
    const j = judgeRounds(rounds, ctx);
    return rounds.length >= 2 || j.verdict === 'inconclusive'
      ? j
      : { ...j, verdict: 'inconclusive', reason: `${j.reason}; one round` };
  },
  // No fail before the third round: a slow spell must outlast three rounds, not two.
  'three-rounds': failOnlyIf((rounds) => rounds.length >= 3, 'no fail before round 3'),
  // Three rounds each beyond the limit on their own.
  'three-beyond': failOnlyIf(
    (rounds, ctx, j) => ratios(rounds, ctx).filter((x) => beyond(x, j, ctx)).length >= 3,
    'beyond the limit in fewer than 3 rounds',
  ),
  // Rounds beyond the limit that are not all adjacent in time (first and last at least two rounds apart).
  spread: failOnlyIf((rounds, ctx, j) => {
    const at = ratios(rounds, ctx).flatMap((x, i) => (beyond(x, j, ctx) ? [i] : []));
    return at.length >= 2 && at[at.length - 1] - at[0] >= 2;
  }, 'the rounds beyond the limit are adjacent'),
  // The median round (≥ 3 rounds) beyond the limit: one odd round decides nothing.
  'median-round': failOnlyIf(
    (rounds, ctx, j) => rounds.length >= 3 && beyond(median(ratios(rounds, ctx)), j, ctx),
    'the median round is within the limit',
  ),
  // Rounds as the unit (≥ 3): the one-sided 95 % t bound of the mean per-round log ratio beyond the limit, so a
  // spell that moves whole rounds widens the interval instead of passing for a regression.
  'round-t': failOnlyIf((rounds, ctx, j) => {
    if (rounds.length < 3) return false;
    const logs = ratios(rounds, ctx).map(Math.log);
    const n = logs.length;
    const mean = logs.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    const t = ({ 3: 2.92, 4: 2.353 } as Record<number, number>)[n] ?? 2.0;
    const bound =
      ctx.config.policy.better === 'higher' ? mean + (t * sd) / Math.sqrt(n) : mean - (t * sd) / Math.sqrt(n);
    return beyond(Math.exp(bound), j, ctx);
  }, 'the rounds disagree too much'),
  // Each placement's samples alone fail (significant, interval beyond the limit).
  'per-placement': failOnlyIf((rounds, ctx) => {
    const by = new Map<string, MeasuredRound[]>();
    for (const r of rounds) by.set(r.baselineCpus ?? '', [...(by.get(r.baselineCpus ?? '') ?? []), r]);
    return (
      by.size >= 2 &&
      [...by.values()].every(
        (rs) =>
          judgeRegression(
            rs.flatMap((r) => r.baseline),
            rs.flatMap((r) => r.candidate),
            ctx.config.policy,
            { paired: ctx.mode === 'simultaneous' },
          ).verdict === 'fail',
      )
    );
  }, 'not a fail in each placement on its own'),
};

/** The recorded comparison's rounds, each with its own new samples. */
function roundsOf(o: RegressionOutcome): MeasuredRound[] {
  let b = 0;
  let c = 0;
  return o.rounds.map((r) => {
    const round: MeasuredRound = {
      baseline: o.baseline.slice(b, r.baselineN),
      candidate: o.candidate.slice(c, r.candidateN),
      ...(r.baselineCpus !== undefined ? { baselineCpus: r.baselineCpus } : {}),
    };
    b = r.baselineN;
    c = r.candidateN;
    return round;
  });
}

function replay(rule: Rule, rounds: MeasuredRound[], ctx: StoppingContext): { verdict: Verdict; rounds: number } {
  for (let k = 1; k <= rounds.length; k++) {
    const j = rule(rounds.slice(0, k), ctx);
    if (j.verdict !== 'inconclusive') return { verdict: j.verdict, rounds: k };
  }
  return { verdict: 'inconclusive', rounds: rounds.length };
}

async function main(): Promise<void> {
  if (files.length === 0)
    throw new Error('usage: npx tsx bench/gate-replay.ts out.json [more.json …] [--detail] [--json]');
  const rows: Array<Record<string, string | number>> = [];
  for (const file of files) {
    const rec = JSON.parse(await readFile(file, 'utf8')) as Recording;
    for (const level of rec.levels) {
      const results = Object.fromEntries(Object.keys(RULES).map((name) => [name, [] as ReturnType<typeof replay>[]]));
      level.outcomes.forEach((o, i) => {
        // The seed each comparison had live (bench/gate: one per comparison).
        const config = { ...rec.config, policy: { ...rec.config.policy, seed: i + 1 } };
        const ctx: StoppingContext = { config, mode: o.mode };
        const rounds = roundsOf(o);
        for (const [name, rule] of Object.entries(RULES)) results[name].push(replay(rule, rounds, ctx));
        if (args.detail) {
          const rs = ratios(rounds, ctx).map((x) => `${((x - 1) * 100).toFixed(1)}%`.padStart(7));
          const cpus = rounds.map((r) => r.baselineCpus ?? '-').join('');
          const verdicts = Object.keys(RULES)
            .map((n) => `${n}=${results[n][i].verdict[0]}${results[n][i].rounds}`)
            .join(' ');
          process.stdout.write(
            `${file} ${level.regressionPct}% #${String(i + 1).padStart(2)} ${o.baselineUrl.split(':').pop()}/${o.candidateUrl.split(':').pop()} cpus ${cpus} rounds ${rs.join(' ')}  ${verdicts}\n`,
          );
        }
      });
      for (const [name, rs] of Object.entries(results)) {
        const count = (v: Verdict) => rs.filter((r) => r.verdict === v).length;
        rows.push({
          file,
          level: `${level.regressionPct}%`,
          rule: name,
          comparisons: rs.length,
          fail: count('fail'),
          pass: count('pass'),
          inconclusive: count('inconclusive'),
          medianRounds: rs.length ? median(rs.map((r) => r.rounds)) : 0,
          medianChangePct: rs.length
            ? Number((median(level.outcomes.map((o) => o.judgement.change)) * 100).toFixed(1))
            : 0,
        });
      }
    }
  }
  if (args.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const cols = Object.keys(rows[0] ?? {});
  const table = [cols, ...rows.map((r) => cols.map((c) => String(r[c])))];
  const widths = cols.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  for (const row of table) process.stdout.write(`${row.map((v, i) => v.padStart(widths[i])).join('  ')}\n`);
}

main().catch((err) => {
  process.stderr.write(`replay failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
