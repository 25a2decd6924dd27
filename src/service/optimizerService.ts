/**
 * The optimizer service (ARCHITECTURE.md §"One learner per user"): one lasting learner over one
 * decision log. It owns the guarded optimizer, the store and the clock; it restores the optimizer
 * from the store on open (restore.ts), writes every core event to the store through one mapping
 * (storeRecords.ts), checkpoints the whole state every `checkpointEvery` outcomes and at close so
 * the replay after a restart stays short, and closes the decisions whose outcome never came with the
 * default reward once the reward wait has passed, across restarts too. No `vscode` here: the
 * extension and the CLI both use it.
 */
import { randomBytes } from 'node:crypto';
import type { GuardedOptimizer } from '../core/guardedOptimizer';
import type { GuardedOptions, GuardedOutcome, GuardedRecommendation, RecommendArmOptions } from '../core/guardedOptions';
import type { Clock, ProviderMapping } from '../core/optimizer';
import type { PolicyKind, PolicySettings } from '../core/policies';
import type { RewardSettings } from '../core/reward';
import type { RolloutEvent } from '../core/safety/rollout';
import type { PolicyReset } from './protocol';
import type { Waiver, WaiverProposal } from '../core/safety/waivers';
import type { ParameterSpace } from '../core/space';
import type { Decision, Outcome, RequestContext } from '../core/types';
import { StoreDecisionSink } from '../store/simulationSink';
import { openStore, type Store, type StoreOptions } from '../store/store';
import { restoreGuarded, type RestoreNotice } from './restore';
import { serviceStatus, type ServiceStatus } from './status';
import { StoreEventSink, type StoreAppender } from './storeEventSink';

/** What the service learns with: the settings of the guarded optimizer. */
export interface ServiceSettings {
  space: ParameterSpace;
  policyKind: PolicyKind;
  policySettings: PolicySettings;
  rewardSettings: RewardSettings;
  /** The guarded optimizer's other settings (rollout, SLO, gate, budget, drift…). */
  guarded?: Omit<Partial<GuardedOptions>, 'space' | 'policyKind' | 'policySettings' | 'rewardSettings' | 'events' | 'clock' | 'seed'>;
  /** Checkpoint the whole state every this many outcomes (default 500), and at close. */
  checkpointEvery?: number;
}

/** How the service opens its log. */
export interface OpenServiceOptions {
  clock: Clock;
  /** Store settings (the wasm folder, retention, prompt text, snapshot cadence…). */
  store: StoreOptions;
  /** Seed of a new log (default: random); a log that has a checkpoint keeps its own. */
  seed?: number;
  /**
   * The producer never yields (the simulator): appends are synced every `syncEvery` outcomes in
   * place instead of by the store's timed batches.
   */
  syncEvery?: number;
  /**
   * Runs once the store is open and before the optimizer is restored from it (whatever it adds is
   * restored with the rest): the extension imports a workspace's earlier log here. What it throws
   * fails the open (the store is closed again).
   */
  prepare?: (store: Store) => Promise<void>;
}

export class OptimizerService {
  /** What opening found: a restored checkpoint, events set aside, a changed parameter space… */
  readonly notices: readonly RestoreNotice[];
  private outcomesSinceCheckpoint = 0;
  private closed = false;

  private constructor(
    readonly guarded: GuardedOptimizer,
    readonly store: Store,
    private readonly appender: StoreAppender & { close?: () => Promise<void> },
    /** What the service learns with. */
    readonly settings: ServiceSettings,
    /** The clock the service decides by (times of the status and the dashboard). */
    readonly clock: Clock,
    notices: RestoreNotice[],
  ) {
    this.notices = notices;
  }

  /** Opens (or creates) the log in `dir` and restores the optimizer from it. */
  static async open(dir: string, settings: ServiceSettings, options: OpenServiceOptions): Promise<OptimizerService> {
    const store = await openStore(dir, options.store);
    try {
      if (options.prepare) await options.prepare(store);
      const appender: StoreAppender & { close?: () => Promise<void> } =
        options.syncEvery !== undefined && !options.store.readOnly ? new StoreDecisionSink(store, Math.max(1, Math.floor(options.syncEvery))) : store;
      const events = new StoreEventSink(appender, store.checkpoints());
      const guardedOptions: Omit<GuardedOptions, 'seed'> = {
        ...settings.guarded,
        space: settings.space,
        policyKind: settings.policyKind,
        policySettings: settings.policySettings,
        rewardSettings: settings.rewardSettings,
        clock: options.clock,
        keepAuditEntries: false,
      };
      const seed = options.seed ?? randomBytes(4).readUInt32LE(0);
      const restored = await restoreGuarded(
        { checkpoints: () => store.checkpoints(), eventsAfter: (after) => store.eventsAfter(after), iterateLogged: () => store.iterateLogged() },
        guardedOptions,
        seed,
      );
      // Events go to the store from here on (restoring applied them without emitting).
      restored.guarded.attachEvents(events);
      const service = new OptimizerService(restored.guarded, store, appender, settings, options.clock, restored.notices);
      if (!options.store.readOnly) {
        // A new log starts with a checkpoint, which records its seed.
        if (restored.fresh) restored.guarded.checkpoint();
        service.expirePending();
        // Durable before the caller goes on. A producer that never yields syncs in place from here
        // (an asynchronous flush would let the store start a write or a snapshot of its own first).
        if (appender instanceof StoreDecisionSink) {
          await store.settle();
          store.flushSync();
        } else {
          await store.flush();
        }
      }
      return service;
    } catch (error) {
      await store.close().catch(() => undefined);
      throw error;
    }
  }

  /** The phase the rollout is in. */
  get phase(): RolloutEvent['to'] {
    return this.guarded.phase;
  }

  /** Decides a request (not logged until `logDecision`: its request sent). */
  recommend(context: RequestContext, sessionKey: string, options: RecommendArmOptions = {}): GuardedRecommendation {
    return this.guarded.recommend(context, sessionKey, options);
  }

  /** Logs a decision once its request was sent, with what the provider honoured. */
  logDecision(requestId: string, mapping: ProviderMapping = {}): Decision {
    return this.guarded.logDecision(requestId, mapping);
  }

  /** Records an outcome (its timestamp set to now: the time of its effects); checkpoints on cadence. */
  recordOutcome(requestId: string, outcome: Outcome): GuardedOutcome {
    const result = this.guarded.recordOutcome(requestId, outcome);
    this.countOutcome();
    return result;
  }

  /** Gives the default reward to logged decisions whose outcome never came within the wait. */
  expirePending(): Decision[] {
    const closed = this.guarded.expirePending();
    for (let i = 0; i < closed.length; i++) this.countOutcome();
    return closed;
  }

  private countOutcome(): void {
    if (++this.outcomesSinceCheckpoint < (this.settings.checkpointEvery ?? 500)) return;
    this.outcomesSinceCheckpoint = 0;
    this.guarded.checkpoint();
  }

  promote(actor: string, reason: string): RolloutEvent {
    return this.guarded.promote(actor, reason);
  }

  rollback(actor: string, reason: string, to?: 'previous' | 'shadow'): RolloutEvent {
    return this.guarded.rollback(actor, reason, to);
  }

  pause(actor: string, reason: string): RolloutEvent {
    return this.guarded.pause(actor, reason);
  }

  /** Starts the learned policy over from its prior (see GuardedOptimizer.resetPolicy). */
  resetPolicy(actor: string, reason: string): PolicyReset {
    return this.guarded.resetPolicy(actor, reason);
  }

  resume(actor: string, reason: string): RolloutEvent {
    return this.guarded.resume(actor, reason);
  }

  proposeWaiver(proposal: WaiverProposal, requestedBy: string): Waiver {
    return this.guarded.proposeWaiver(proposal, requestedBy);
  }

  activateWaiver(id: string, approver: string): Waiver {
    return this.guarded.activateWaiver(id, approver);
  }

  revokeWaiver(id: string, actor: string, reason: string): Waiver {
    return this.guarded.revokeWaiver(id, actor, reason);
  }

  /**
   * What the service knows, for people (the status command, the sidebar); days in phase and the
   * budget's periods at `at` (ms since the epoch), by default the clock's now.
   */
  status(at?: number): ServiceStatus {
    return serviceStatus(this.guarded, this.store, at ?? this.clock.now(), this.notices);
  }

  /**
   * A mark that changes whenever an event is appended: the store's newest sequence number, or NaN
   * (never equal) while a producer's sink buffers events before the store sees them.
   */
  appendedMark(): number {
    return this.appender instanceof StoreDecisionSink ? Number.NaN : this.store.lastSeq;
  }

  /** Everything appended so far is durable. */
  async flush(): Promise<void> {
    if (this.appender instanceof StoreDecisionSink) this.store.flushSync();
    await this.store.flush();
  }

  /** Checkpoints the state and closes the store (a final snapshot). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.store.readOnly) this.guarded.checkpoint();
    await this.store.close();
  }
}
