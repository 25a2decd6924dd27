// The dashboard's views of the learner (the rollout with its SLO, budgets, waivers and drift;
// reward over time; the arms; the Pareto front; off-policy evaluation), each drawn into its
// section from one answer of the dashboard protocol and nothing else. dashboard.ts asks, these draw.
import type uPlot from 'uplot';
import type { DashboardCommand, DashboardResult } from '../../src/shared/dashboardProtocol';
import type { taskTypes } from '../../src/core/types';
import { chart, dots, line, palette, withAlpha } from './charts';
import { towards } from '../../src/shared/progressText';
import { button, dataDisclosure, element, fill, interval, num, pairs, percent, table, when, whole } from './dom';

export type TaskType = (typeof taskTypes)[number];

export const taskTypeNames: Record<TaskType, string> = {
  planTask: 'Plan a task',
  planSelection: 'Plan a selection',
  breakDownTodo: 'Break down a TODO',
  planTests: 'Plan tests',
};

/** What the views do besides drawing: run a host command, evaluate again. */
export interface ViewActions {
  runCommand(command: DashboardCommand, label: string): Promise<void>;
  evaluateAgain(): Promise<void>;
}

/** The views over the dashboard's sections (by id). */
export function createViews(sections: Record<string, HTMLElement>, actions: ViewActions) {
  // ---- Rollout, SLO, budgets, waivers, drift (the overview) ----

  /** One side of an SLO row: n, mean and bounds, or that it has no outcomes yet (its bounds then say nothing). */
  const sloSide = (side: { n: number; mean: number | null; lower: number | null; upper: number | null }): string => (side.n === 0 ? 'no outcomes yet' : `${side.n}, ${num(side.mean)} ${interval(side.lower, side.upper)}`);

  function renderOverview(o: DashboardResult<'overview'>): void {
    const r = o.rollout;
    const p = r.progress;
    const progressBar = (label: string, value: number, max: number, unit: string): HTMLElement => {
      const wrap = element('div', undefined, 'progress');
      const bar = element('progress');
      bar.max = Math.max(1, max);
      bar.value = Math.min(value, bar.max);
      bar.setAttribute('aria-label', label);
      wrap.append(element('span', `${label}: ${towards(value, max, unit, Number.isInteger(value) ? 0 : 1)}`), bar);
      return wrap;
    };
    const parts: HTMLElement[] = [
      pairs([
        ['Phase', r.phase],
        ['Status', r.status],
        ['In this phase since', when(r.phaseStartedAt)],
        ['Learned share of traffic', percent(r.learnedShare, 1)],
        ['Policy', `${o.policy.kind}, version ${o.policy.version}`],
        ['Decisions', `${whole(o.counts.decisions)} (${whole(o.counts.outcomes)} with an outcome, ${whole(o.counts.pending)} waiting)`],
        ['Rollbacks', whole(o.counts.incidents)],
        ['Effective sample size', r.effectiveSampleSize === null ? '— (no gate look yet)' : `${num(r.effectiveSampleSize, 1)} (needs ${num(r.minEffectiveSampleSize, 1)})`],
      ]),
      progressBar('Samples towards the next gate', p.samples, p.minSamples, 'samples'),
      progressBar('Days towards the next gate', p.days, p.minDays, 'days'),
      element('p', r.next, 'next-gate'),
    ];
    if (r.lastVerdict) {
      const v = r.lastVerdict;
      parts.push(
        element('h3', `Last gate verdict (${v.phase}): ${v.passed ? 'passed' : 'not passed'}`),
        element('p', v.summary),
        table(
          'Checks of the last verdict',
          ['Check', 'Result', 'Value', 'Threshold', 'Detail'],
          v.checks.map((c) => [c.name, c.passed ? '✓ passed' : '✗ failed', num(c.value), num(c.threshold), c.detail]),
        ),
      );
    } else parts.push(element('p', 'No gate verdict yet.', 'muted'));
    for (const notice of o.notices) parts.push(element('p', notice.message, notice.level === 'info' ? 'muted' : 'warning'));
    fill(sections.rollout!, ...parts);

    fill(
      sections.slo!,
      o.slo.length === 0
        ? element('p', 'No service level is monitored.', 'muted')
        : table(
            'Service levels per metric: learned and baseline means with their confidence bounds',
            ['Metric', 'State', 'Learned (n, mean, bounds)', 'Baseline (n, mean, bounds)', 'Margin'],
            o.slo.map((s) => [
              s.metric,
              !s.enabled ? 'off' : s.breached ? '✗ breached' : '✓ within',
              sloSide(s.learned),
              sloSide(s.baseline),
              s.learned.n === 0 || s.baseline.n === 0 ? '—' : num(s.margin),
            ]),
          ),
    );

    fill(
      sections.budgets!,
      o.budgets.length === 0
        ? element('p', 'No budget is set.', 'muted')
        : table(
            'Tokens spent per task type, today and this week, against their limits',
            ['Task type', 'Today', 'This week', 'Remaining', 'State'],
            o.budgets.map((b) => [
              taskTypeNames[b.taskType],
              `${whole(b.daySpent)}${b.dayLimit === null ? ' (no limit)' : ` of ${whole(b.dayLimit)}`}`,
              `${whole(b.weekSpent)}${b.weekLimit === null ? ' (no limit)' : ` of ${whole(b.weekLimit)}`}`,
              b.remaining === null ? 'unlimited' : whole(b.remaining),
              b.exhausted ? '✗ exhausted' : '✓ available',
            ]),
          ),
    );

    const waiverControls = element('div', undefined, 'inline-controls');
    waiverControls.append(button('Grant waiver…', () => void actions.runCommand('paramloop.grantWaiver', 'Grant waiver…'), { icon: 'unlock', secondary: true }), button('Revoke waiver…', () => void actions.runCommand('paramloop.revokeWaiver', 'Revoke waiver…'), { icon: 'lock', secondary: true }));
    fill(
      sections.waivers!,
      o.waivers.length === 0
        ? element('p', 'No waiver is proposed or active.', 'muted')
        : table(
            'Budget waivers and when they expire',
            ['Waiver', 'Status', 'Task type', 'Extra tokens', 'Reason', 'Requested by', 'Expires'],
            o.waivers.map((w) => [w.id, w.status, w.taskType, `+${whole(w.delta)} per ${w.period}`, w.note === '' ? w.reason : `${w.reason}: ${w.note}`, w.requestedBy + (w.approver ? ` (approved by ${w.approver})` : ''), when(w.expiresAt)]),
          ),
      waiverControls,
    );

    const d = o.drift;
    const driftParts: HTMLElement[] = [];
    if (d.warnings.length === 0) driftParts.push(element('p', 'No drift detected.', 'muted'));
    else {
      const list = element('ul', undefined, 'warnings');
      for (const w of d.warnings) list.append(element('li', w));
      driftParts.push(list);
    }
    if (d.pausePromotion) driftParts.push(element('p', 'Drift pauses promotion until it settles.', 'warning'));
    if (d.rewardAlarm) driftParts.push(element('p', `The reward shifted (${d.rewardAlarm.direction}) at ${when(d.rewardAlarm.timestamp)}, after ${d.rewardAlarm.samples} samples.`, 'warning'));
    if (d.features.length > 0) {
      driftParts.push(
        table(
          `Population stability index per context feature (noise level ${num(d.noiseLevel)})`,
          ['Feature', 'PSI', 'Shift'],
          d.features.map((f) => [f.name, num(f.psi), f.level]),
        ),
      );
    }
    fill(sections.drift!, ...driftParts);
  }

  // ---- Reward over time ----

  function renderReward(r: DashboardResult<'rewardOverTime'>): void {
    const c = palette();
    const x = r.bucketStarts.map((t) => t / 1000);
    const figure = chart({
      key: 'reward',
      title: 'Mean reward per bucket: learned vs baseline, with 95% bands',
      xLabel: 'Time',
      yLabel: 'Mean reward',
      time: true,
      series: [
        line('Learned', c.learned),
        line('Learned lower', withAlpha(c.learned, 0.35), { width: 1, points: { show: false } }),
        line('Learned upper', withAlpha(c.learned, 0.35), { width: 1, points: { show: false } }),
        line('Baseline', c.baseline),
        line('Baseline lower', withAlpha(c.baseline, 0.35), { width: 1, points: { show: false } }),
        line('Baseline upper', withAlpha(c.baseline, 0.35), { width: 1, points: { show: false } }),
      ],
      data: [x, r.learned.mean, r.learned.lower, r.learned.upper, r.baseline.mean, r.baseline.lower, r.baseline.upper],
      bands: [
        { series: [3, 2], fill: withAlpha(c.learned, 0.15) },
        { series: [6, 5], fill: withAlpha(c.baseline, 0.15) },
      ],
    });
    const rows = r.bucketStarts.map((t, i) => [
      when(t),
      whole(r.decisions[i]),
      `${whole(r.learned.n[i])}: ${num(r.learned.mean[i])} ${interval(r.learned.lower[i] ?? null, r.learned.upper[i] ?? null)}`,
      `${whole(r.baseline.n[i])}: ${num(r.baseline.mean[i])} ${interval(r.baseline.lower[i] ?? null, r.baseline.upper[i] ?? null)}`,
    ]);
    fill(
      sections.reward!,
      element('p', `Each point is the mean reward of the outcomes in a bucket of ${describeMs(r.bucketMs)}; the band is its 95% interval. A learned point above the baseline's band is a real gain.`, 'muted'),
      figure,
      dataDisclosure('Reward over time as a table', table('Reward per bucket', ['Bucket start', 'Decisions', 'Learned (n: mean [95%])', 'Baseline (n: mean [95%])'], rows, 'data reward-table')),
    );
  }

  function describeMs(ms: number): string {
    if (ms >= 86_400_000) return `${num(ms / 86_400_000, ms % 86_400_000 === 0 ? 0 : 1)} day(s)`;
    if (ms >= 3_600_000) return `${num(ms / 3_600_000, ms % 3_600_000 === 0 ? 0 : 1)} hour(s)`;
    return `${num(ms / 60_000, 0)} minute(s)`;
  }

  // ---- Arms ----

  function armLabel(arms: DashboardResult<'arms'>['arms'], index: number): string {
    const arm = arms.find((a) => a.armIndex === index);
    return arm === undefined ? `arm ${index}` : `${arm.armId}${arm.isBaseline ? ' (baseline)' : ''}`;
  }
  function paramsText(params: Record<string, unknown> | undefined): string {
    if (params === undefined) return '—';
    return Object.entries(params)
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : String(v)}`)
      .join(', ');
  }

  /** The policy's expected reward per arm: a chart and a table per task type. */
  function renderArmEstimates(a: DashboardResult<'arms'>): void {
    const estimates: HTMLElement[] = [element('p', `The ${a.policyKind} policy's expected reward per arm for a typical request (posterior mean ± sd).`, 'muted')];
    if (a.posterior.length === 0) estimates.push(element('p', 'This policy keeps no posterior.', 'muted'));
    const c = palette();
    for (const p of a.posterior) {
      const names = p.arms.map((e) => armLabel(a.arms, e.armIndex));
      const lower = p.arms.map((e) => (e.mean === null || e.sd === null ? null : e.mean - e.sd));
      const upper = p.arms.map((e) => (e.mean === null || e.sd === null ? null : e.mean + e.sd));
      estimates.push(
        chart({
          key: `posterior-${p.taskType}`,
          title: `${taskTypeNames[p.taskType]}: expected reward per arm, mean ± sd`,
          xLabel: 'Arm',
          yLabel: 'Expected reward',
          time: false,
          padded: true,
          xNames: names,
          height: 180,
          series: [
            dots('Mean', c.learned, 8),
            dots('Mean − sd', withAlpha(c.learned, 0.45), 5),
            dots('Mean + sd', withAlpha(c.learned, 0.45), 5),
          ],
          data: [p.arms.map((_, i) => i), p.arms.map((e) => e.mean), lower, upper],
        }),
      );
      estimates.push(
        table(
          `${taskTypeNames[p.taskType]}: expected reward per arm`,
          ['Arm', 'Mean ± sd', 'Parameters'],
          p.arms.map((e) => [armLabel(a.arms, e.armIndex), `${num(e.mean)} ± ${num(e.sd)}`, paramsText(a.arms.find((x) => x.armIndex === e.armIndex)?.params)]),
          'data posterior-table',
        ),
      );
    }
    fill(sections.arms!, ...estimates);
  }

  /** Each arm's share of the decisions over time. */
  function renderShare(a: DashboardResult<'arms'>): void {
    const c = palette();
    const s = a.share;
    const shareSeries = s.series.map((series, i) => line(armLabel(a.arms, series.armIndex), c.series[i % c.series.length]!));
    const shareOf = (counts: number[]): Array<number | null> => counts.map((n, i) => ((s.totals[i] ?? 0) > 0 ? n / s.totals[i]! : null));
    const data: uPlot.AlignedData = [s.bucketStarts.map((t) => t / 1000), ...s.series.map((series) => shareOf(series.counts)), shareOf(s.other)];
    const figure = chart({
      key: 'share',
      title: 'Share of decisions per arm over time',
      xLabel: 'Time',
      yLabel: 'Share of decisions',
      time: true,
      series: [...shareSeries, line('Other arms', c.series[c.series.length - 1]!, { dash: [4, 4] })],
      data,
    });
    const headers = ['Bucket start', 'Decisions', ...s.series.map((series) => armLabel(a.arms, series.armIndex)), 'Other arms'];
    const rows = s.bucketStarts.map((t, i) => [when(t), whole(s.totals[i]), ...s.series.map((series) => whole(series.counts[i])), whole(s.other[i])]);
    fill(sections.share!, figure, dataDisclosure('Selection counts as a table', table('Decisions per arm per bucket', headers, rows, 'data share-table')));
  }

  /** The arm the learned policy favours per task type, beside the baseline arm. */
  function renderFavoured(a: DashboardResult<'arms'>): void {
    fill(
      sections.favoured!,
      a.favoured.length === 0
        ? element('p', 'Nothing learned yet.', 'muted')
        : table(
            'Per task type: the arm the learned policy favours and the baseline arm (expected reward, mean ± sd)',
            ['Task type', 'Favoured arm', 'Favoured parameters', 'Baseline arm', 'Baseline parameters'],
            a.favoured.map((f) => [
              taskTypeNames[f.taskType],
              `${armLabel(a.arms, f.favoured.armIndex)} (${num(f.favoured.mean)} ± ${num(f.favoured.sd)})`,
              paramsText(a.arms.find((x) => x.armIndex === f.favoured.armIndex)?.params),
              `${armLabel(a.arms, f.baseline.armIndex)} (${num(f.baseline.mean)} ± ${num(f.baseline.sd)})`,
              paramsText(a.arms.find((x) => x.armIndex === f.baseline.armIndex)?.params),
            ]),
            'data favoured-table',
          ),
    );
  }

  // ---- Pareto ----

  function paretoChart(points: DashboardResult<'pareto'>['points'], key: string, field: 'latencyMs' | 'tokens', xLabel: string): HTMLElement {
    const c = palette();
    const sorted = [...points].sort((p, q) => p[field] - q[field]);
    const pick = (test: (p: (typeof points)[number]) => boolean): Array<number | null> => sorted.map((p) => (test(p) ? p.quality : null));
    return chart({
      key,
      title: `Quality vs ${xLabel.toLowerCase()} per arm (baseline marked, dominated arms dimmed)`,
      xLabel,
      yLabel: 'Mean quality',
      time: false,
      padded: true,
      series: [
        dots('On the front', c.learned, 9),
        dots('Dominated', c.dimmed, 7),
        dots('Baseline', c.baseline, 13, { points: { show: true, size: 13, stroke: c.baseline, fill: 'transparent', width: 2 } }),
      ],
      data: [sorted.map((p) => p[field]), pick((p) => !p.dominated && !p.isBaseline), pick((p) => p.dominated && !p.isBaseline), pick((p) => p.isBaseline)],
    });
  }

  function renderPareto(p: DashboardResult<'pareto'>): void {
    if (p.points.length === 0) {
      fill(sections.pareto!, element('p', 'No arm has an outcome in this range yet.', 'muted'));
      return;
    }
    const rows = p.points.map((x) => [
      `${x.armId}${x.isBaseline ? ' (baseline)' : ''}`,
      whole(x.outcomes),
      num(x.quality),
      whole(x.latencyMs),
      whole(x.tokens),
      num(x.reward),
      x.dominated ? `dominated by ${x.dominatedBy.map((i) => p.points.find((q) => q.armIndex === i)?.armId ?? `arm ${i}`).join(', ')}` : 'on the front',
    ]);
    fill(
      sections.pareto!,
      element('p', 'An arm is on the front when no other arm is at least as good on quality, latency and tokens and better on one.', 'muted'),
      paretoChart(p.points, 'paretoLatency', 'latencyMs', 'Latency (ms)'),
      paretoChart(p.points, 'paretoTokens', 'tokens', 'Tokens'),
      dataDisclosure('Pareto front as a table', table('Per arm: mean quality, latency and tokens', ['Arm', 'Outcomes', 'Quality', 'Latency (ms)', 'Tokens', 'Reward', 'Front'], rows, 'data pareto-table')),
    );
  }

  // ---- Off-policy evaluation ----

  function renderOpe(o: DashboardResult<'ope'>): void {
    const parts: HTMLElement[] = [element('p', o.summary)];
    if (o.supportWarning !== undefined) parts.push(element('p', o.supportWarning, 'warning support-warning'));
    else if (o.effectiveSampleSize !== null && o.minEffectiveSampleSize !== null && o.effectiveSampleSize < o.minEffectiveSampleSize) {
      parts.push(element('p', `Too little support to decide: the effective sample size is ${num(o.effectiveSampleSize, 1)}, below the ${num(o.minEffectiveSampleSize, 1)} needed.`, 'warning support-warning'));
    }
    parts.push(
      pairs([
        ['Policy evaluated', o.policyKind],
        ['Trained on / scored on', `${whole(o.trainedOn)} / ${whole(o.scoredOn)} decisions${o.sessions === null ? '' : ` (${whole(o.sessions)} sessions)`}`],
        ['Effective sample size', `${num(o.effectiveSampleSize, 1)} (needs ${num(o.minEffectiveSampleSize, 1)})`],
        ['Probability off the log’s support', percent(o.massOffSupport, 1)],
        ['Logged mean reward', num(o.loggedMean)],
      ]),
    );
    if (o.estimators.length > 0) {
      parts.push(
        table(
          `Estimated value of the learned policy, with ${percent(1 - o.level)} bootstrap intervals (ESS ${num(o.effectiveSampleSize, 1)})`,
          ['Estimator', 'Estimate', `${percent(1 - o.level)} interval`, 'vs logged'],
          o.estimators.map((e) => [e.name, num(e.estimate), interval(e.lower, e.upper), e.estimate === null || o.loggedMean === null ? '—' : `${e.estimate - o.loggedMean >= 0 ? '+' : ''}${num(e.estimate - o.loggedMean)}`]),
          'data ope-table',
        ),
      );
    }
    const again = button('Evaluate again', () => void actions.evaluateAgain(), { icon: 'refresh', secondary: true });
    fill(sections.ope!, ...parts, again);
  }

  return { renderOverview, renderReward, renderArmEstimates, renderShare, renderFavoured, renderPareto, renderOpe, paramsText };
}
