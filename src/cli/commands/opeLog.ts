// The decision log of a native `ope`: read from a JSONL export (--input) or from a store (--db, read
// only), reduced to the decisions that have a reward, each checked against the invariants of a
// logged choice (src/core/decisionChecks.ts; an export was checked line by line on parsing, a
// store's rows are checked here) and named by where it came from for messages.
import { readFile } from 'node:fs/promises';
import { checkLoggedChoice, checkReward } from '../../core/decisionChecks';
import type { Decision } from '../../core/types';
import type { LoggedDecision } from '../../store/events';
import { ImportError, parseJsonl } from '../../store/formats/jsonl';
import { defaultWasmDir } from '../../store/sqlite';
import { openStore } from '../../store/store';
import { CliError } from '../io';
import { checkInputFile, fileErrorReason } from '../paths';
import type { OpeSource } from './opeOptions';

/** A logged decision with a reward, and where it is (for messages). */
export interface RewardedDecision {
  readonly decision: Decision;
  readonly reward: number;
  /** e.g. "logs.jsonl, line 12" or "./logs, decision 8b02…" */
  readonly where: string;
}

/** The log: its rewarded decisions in log order, and how many were left out for want of a reward. */
export interface DecisionLog {
  readonly label: string;
  readonly rows: readonly RewardedDecision[];
  readonly skippedWithoutReward: number;
}

/** Reads the decision log of `source` (a native file or a store); `warn` hears the store's notices. */
export async function readDecisionLog(source: OpeSource, warn: (message: string) => void): Promise<DecisionLog> {
  const entries: { logged: LoggedDecision; where: string }[] = [];
  let label: string;
  if (source.kind === 'file') {
    label = source.path;
    await checkInputFile(source.path, '--input');
    let text: string;
    try {
      text = await readFile(source.path, 'utf8');
    } catch (error) {
      throw new CliError(`cannot read ${source.path} (--input): ${fileErrorReason(error)}`, 1);
    }
    let logged: LoggedDecision[];
    try {
      logged = parseJsonl(text);
    } catch (error) {
      if (error instanceof ImportError) throw new CliError(`${source.path}: ${error.message.replace(/^import refused/, 'not a valid decision log')}`, 1);
      throw error;
    }
    // Line 1 is the header.
    logged.forEach((entry, index) => entries.push({ logged: entry, where: `${source.path}, line ${index + 2}` }));
  } else {
    label = source.dir;
    const store = await openStore(source.dir, { wasmDir: defaultWasmDir(__dirname), readOnly: true });
    try {
      for (const notice of store.notices) warn(`${notice.level}: ${notice.message}`);
      for (const logged of store.iterateLogged()) entries.push({ logged, where: `${source.dir}, decision ${logged.decision.requestId}` });
    } finally {
      await store.close();
    }
  }
  const rows: RewardedDecision[] = [];
  let skippedWithoutReward = 0;
  for (const { logged, where } of entries) {
    if (logged.reward === undefined) {
      skippedWithoutReward++;
      continue;
    }
    const issue = checkLoggedChoice(logged.decision)[0];
    if (issue !== undefined) throw new CliError(`${where}: field "decision.${issue.field}": ${issue.message}`, 1);
    const rewardIssue = checkReward(logged.reward.reward);
    if (rewardIssue !== undefined) throw new CliError(`${where}: field "reward.reward": ${rewardIssue}`, 1);
    rows.push({ decision: logged.decision, reward: logged.reward.reward, where });
  }
  if (rows.length === 0) {
    throw new CliError(`${label}: no decision has a reward yet (${skippedWithoutReward} without one): there is nothing to evaluate`, 1);
  }
  return { label, rows, skippedWithoutReward };
}
