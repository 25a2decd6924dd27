/**
 * The dashboard's data, host side and without VS Code: a handler for each request of the dashboard
 * protocol (src/shared/dashboardProtocol.ts) reading the store and the live learner of the process
 * that serves it. The time series of `rewardOverTime`, `arms` and `pareto` come from one bucket scan
 * of the log (src/store/dashboardScan.ts), kept while nothing is appended, so the first paint's
 * requests share it. A window that does not serve the learner asks the serving one through the
 * service's `dashboard` operation (`forwardingDashboardHandlers`), with the same requests.
 */
import type { DashboardCommand, DashboardMethodName, DashboardParams, DashboardReply, DashboardResult } from '../shared/dashboardProtocol';
import { dashboardMethodNames } from '../shared/dashboardProtocol';
import type { DashboardHandlers } from '../shared/dashboardRpc';
import { dominatedBy } from '../core/pareto';
import type { Bucketing } from '../store/dashboardReads';
import { chooseBucketing, refreshBuckets, scanBucketsMarked, type BucketScan, type BucketScanOptions } from '../store/dashboardScan';
import { explainDecision, featureAttribution, opeInput } from './dashboardInsight';
import { runOffPolicyEvaluation } from './opeRunner';
import { dashboardOverview, historyEntry } from './dashboardOverview';
import { armMeans, rewardOverTime, selectionOverTime } from './dashboardSeries';
import type { OptimizerService } from './optimizerService';
import { armPosteriors } from './status';
import { finiteOrNull } from './dashboardOverview';

/** What the host adds to the service: the commands (VS Code's), and how scans slice the log. */
export interface DashboardHostOptions {
  /** Runs an allowed command in the asking window; absent where there is none (the serving side of the service protocol). */
  runCommand?: (command: DashboardCommand) => Promise<boolean>;
  scan?: BucketScanOptions;
  /** The off-policy evaluation's worker script (default: found next to the service); `false`: on this thread. */
  opeWorker?: string | false;
}

interface Scan {
  since: number;
  until: number;
  /** The window was the whole log when scanned (its end grows with the log). */
  wholeLog: boolean;
  /** The bucket count asked for (the bucketing has at most as many). */
  requested: number;
  bucketing: Bucketing;
  /** Settles to the scan; the log as of its mark. */
  done: Promise<BucketScan>;
}

/** Scans kept: the first paint asks for a few windows at most. */
const keptScans = 4;

/** The handlers of every dashboard request, and `warm`, which scans the whole log ahead of the first paint. */
export type ServiceDashboardHandlers = DashboardHandlers & { warm(buckets?: number): Promise<void> };

/** The handlers of every dashboard request, over `service`. */
export function createDashboardHandlers(service: OptimizerService, options: DashboardHostOptions = {}): ServiceDashboardHandlers {
  const scans: Scan[] = [];
  const g = service.guarded;
  const space = g.optimizer.space;
  const store = service.store;

  /** The window asked for, or the log's extent (the whole log). */
  const windowOf = (p: { since?: number | undefined; until?: number | undefined }): { since: number; until: number; wholeLog: boolean } => {
    const extent = store.dashboardExtent();
    const now = service.clock.now();
    const until = p.until ?? (extent.lastTs !== null ? extent.lastTs + 1 : now);
    const since = p.since ?? Math.min(extent.firstTs ?? until - 1, until - 1);
    const wholeLog = (extent.firstTs === null || since <= extent.firstTs) && (extent.lastTs === null || until > extent.lastTs);
    return { since, until: Math.max(until, since + 1), wholeLog };
  };

  const keep = (scan: Scan): Scan => {
    scans.unshift(scan);
    scans.length = Math.min(scans.length, keptScans);
    // A failed scan is not kept: the next request scans again.
    scan.done.catch(() => {
      const at = scans.indexOf(scan);
      if (at >= 0) scans.splice(at, 1);
    });
    return scan;
  };

  /**
   * The bucket cells of a window in about `buckets` buckets (any kept bucketing of the window when
   * absent): a kept scan when nothing was appended since, a kept scan brought up to date when
   * little was, else a new scan.
   */
  const cellsOf = async (p: { since?: number | undefined; until?: number | undefined }, buckets: number | undefined): Promise<BucketScan> => {
    const { since, until, wholeLog } = windowOf(p);
    const lastSeq = store.lastSeq;
    const candidates = scans.filter((s) => s.since === since && (s.until === until || (s.wholeLog && wholeLog)) && (buckets === undefined || s.requested === buckets));
    for (const kept of candidates) {
      const scan = await kept.done.catch(() => undefined);
      if (scan === undefined) continue;
      if (scan.mark.lastSeq === lastSeq && kept.until === until) return scan;
      const refreshed = refreshBuckets(store, scan, chooseBucketing(since, until, kept.requested));
      if (refreshed !== undefined) {
        keep({ since, until, wholeLog, requested: kept.requested, bucketing: refreshed.bucketing, done: Promise.resolve(refreshed) });
        return refreshed;
      }
    }
    const requested = buckets ?? 100;
    const bucketing = chooseBucketing(since, until, requested);
    return keep({ since, until, wholeLog, requested, bucketing, done: scanBucketsMarked(store, bucketing, options.scan) }).done;
  };

  const arms = (): DashboardResult<'arms'>['arms'] => {
    const trust = new Set(space.trustRegionArms);
    return space.arms.map((a) => ({ armIndex: a.index, armId: a.id, params: { ...a.params }, isBaseline: a.index === space.baselineArm, inTrustRegion: trust.has(a.index) }));
  };

  const handlers: ServiceDashboardHandlers = {
    /** Scans the whole log in `buckets` buckets (as `rewardOverTime` and `arms` ask by default), so that the first paint finds it done. */
    warm: async (buckets = 100) => {
      await cellsOf({}, buckets);
    },
    overview: () => dashboardOverview(g, store, service.clock.now(), service.notices),
    rewardOverTime: async (p) => {
      const scan = await cellsOf(p, p.buckets);
      return rewardOverTime(scan.cells, scan.bucketing);
    },
    arms: async (p) => {
      const scan = await cellsOf(p, p.buckets);
      const posteriors = armPosteriors(g);
      const estimate = (a: number, means: Float64Array, sds: Float64Array): { armIndex: number; mean: number | null; sd: number | null } => ({ armIndex: a, mean: finiteOrNull(means[a]), sd: finiteOrNull(sds[a]) });
      return {
        arms: arms(),
        policyKind: g.optimizer.learned.kind,
        posterior: posteriors.map(({ taskType, means, sds }) => ({ taskType, arms: space.trustRegionArms.map((a) => estimate(a, means, sds)) })),
        favoured: posteriors.map(({ taskType, means, sds, favoured }) => ({ taskType, favoured: estimate(favoured, means, sds), baseline: estimate(space.baselineArm, means, sds) })),
        share: selectionOverTime(scan.cells, scan.bucketing, p.maxSeries),
      };
    },
    pareto: async (p) => {
      const means = armMeans((await cellsOf(p, undefined)).cells);
      const by = dominatedBy(means.map((m) => ({ quality: m.quality, latencyMs: m.latencyMs, tokens: m.tokens })));
      return {
        points: means.map((m, i) => ({
          armIndex: m.armIndex,
          armId: space.arms[m.armIndex]?.id ?? `arm ${m.armIndex}`,
          outcomes: m.outcomes,
          quality: m.quality,
          latencyMs: m.latencyMs,
          tokens: m.tokens,
          reward: m.reward,
          isBaseline: m.armIndex === space.baselineArm,
          dominated: (by[i] ?? []).length > 0,
          dominatedBy: (by[i] ?? []).slice(0, 8).map((j) => means[j]!.armIndex),
        })),
      };
    },
    ope: (p) => runOffPolicyEvaluation(opeInput(g, service.settings, store.newestRewarded(p.rows), p), options.opeWorker !== undefined ? { worker: options.opeWorker } : {}),
    attribution: (p) => featureAttribution(g, p.taskType),
    recentDecisions: (p) => store.recentDecisions(p.before, p.limit),
    explainDecision: (p) => {
      const logged = store.loggedByRequestId(p.requestId);
      if (logged === undefined) return { found: false, requestId: p.requestId };
      return explainDecision(logged, space.arms.map((a) => a.id), (phase) => g.rollout.config.phases[phase].trafficShare);
    },
    history: (p) => {
      const page = store.history(p.before, p.limit);
      return { entries: page.rows.flatMap((row) => historyEntry(row) ?? []), nextBefore: page.nextBefore };
    },
    runCommand: async (p) => {
      if (options.runCommand === undefined) throw new Error('commands run in the window that shows the dashboard, not in the serving process');
      return { command: p.command, done: await options.runCommand(p.command) };
    },
  };
  return handlers;
}

/** How a window that does not serve the learner asks the serving one (the service's `dashboard` operation). */
export type AskServing = (method: DashboardMethodName, params: unknown) => Promise<DashboardReply>;

/**
 * Handlers that forward every request but `runCommand` to the serving process and answer with its
 * result (its error becomes this handler's error, so the webview gets it as an error reply);
 * `runCommand` runs here, in the window that shows the dashboard.
 */
export function forwardingDashboardHandlers(ask: AskServing, runCommand?: (command: DashboardCommand) => Promise<boolean>): DashboardHandlers {
  const forward =
    <M extends DashboardMethodName>(method: M) =>
    async (params: DashboardParams<M>): Promise<DashboardResult<M>> => {
      const reply = await ask(method, params);
      if (!reply.ok) throw new Error(reply.error.message);
      return reply.result as DashboardResult<M>;
    };
  const handlers = Object.fromEntries(dashboardMethodNames.map((name) => [name, forward(name)])) as unknown as DashboardHandlers;
  handlers.runCommand = async (p) => {
    if (runCommand === undefined) throw new Error('this window runs no commands');
    return { command: p.command, done: await runCommand(p.command) };
  };
  return handlers;
}
