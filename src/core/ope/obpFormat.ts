/**
 * The `obp` input format of `paramloop ope`: JSONL, one logged round per line,
 *   {"action": int, "reward": number, "pscore": number, "action_dist": [K numbers], "estimated_rewards": [K numbers]}
 * where action_dist is the candidate policy's distribution over all K actions and estimated_rewards
 * the reward model's predictions (Open Bandit Pipeline's inputs, one round at a time). Other keys
 * are ignored; rewards and predictions must lie within ±1e12 (decisionChecks.ts). The reader is
 * fed lines by the caller (the CLI streams the file) and stores them straight into growing typed
 * arrays; every violation is an {@link ObpFormatError} naming the line and the field.
 */
import { checkDistribution, checkReward, maxAbsReward } from '../decisionChecks';
import { describeJsonValue, notFiniteNumber, parseJsonLine } from '../jsonLine';
import type { LoggedRounds } from './loggedRounds';

/** A line of `obp` input that breaks the format: 1-based line number, field name (or "line"). */
export class ObpFormatError extends Error {
  constructor(
    readonly line: number,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`line ${line}: ${field === 'line' ? '' : `field "${field}": `}${reason}`);
    this.name = 'ObpFormatError';
  }
}

/**
 * Accumulates `obp` lines into typed arrays. K is fixed by the first round; capacity doubles as
 * rounds arrive, and {@link finish} trims the arrays to n rows.
 */
export class ObpRoundsReader {
  private k = 0;
  private n = 0;
  private capacity = 0;
  private firstLine = 0;
  private actions = new Int32Array(0);
  private rewards = new Float64Array(0);
  private pscores = new Float64Array(0);
  private actionDist = new Float64Array(0);
  private estimatedRewards = new Float64Array(0);

  /** Number of rounds read so far. */
  get rounds(): number {
    return this.n;
  }

  /** Parses one line (1-based `lineNumber` for messages). Blank lines are skipped. */
  addLine(text: string, lineNumber: number): void {
    if (text.trim() === '') return;
    const record = parseRecord(text, lineNumber);
    const action = record['action'];
    const reward = record['reward'];
    const pscore = record['pscore'];
    const dist = record['action_dist'];
    const estimated = record['estimated_rewards'];
    requireNumber(action, 'action', lineNumber);
    if (!Number.isInteger(action)) throw new ObpFormatError(lineNumber, 'action', `must be an integer, got ${action}`);
    requireNumber(reward, 'reward', lineNumber);
    const rewardIssue = checkReward(reward);
    if (rewardIssue !== undefined) throw new ObpFormatError(lineNumber, 'reward', rewardIssue);
    requireNumber(pscore, 'pscore', lineNumber);
    if (!(pscore > 0 && pscore <= 1)) throw new ObpFormatError(lineNumber, 'pscore', `must be in (0, 1], got ${pscore}`);
    const distArray = requireNumberArray(dist, 'action_dist', lineNumber);
    const estimatedArray = requireNumberArray(estimated, 'estimated_rewards', lineNumber);
    if (this.n === 0) {
      if (distArray.length === 0) throw new ObpFormatError(lineNumber, 'action_dist', 'must have at least one entry');
      this.k = distArray.length;
      this.firstLine = lineNumber;
    } else if (distArray.length !== this.k) {
      throw new ObpFormatError(lineNumber, 'action_dist', `has ${distArray.length} entries, but K = ${this.k} (from line ${this.firstLine})`);
    }
    const k = this.k;
    if (estimatedArray.length !== k) {
      throw new ObpFormatError(lineNumber, 'estimated_rewards', `has ${estimatedArray.length} entries, but K = ${k}${this.n === 0 ? ' (the length of action_dist)' : ` (from line ${this.firstLine})`}`);
    }
    if (action < 0 || action >= k) throw new ObpFormatError(lineNumber, 'action', `${action} is outside 0..${k - 1} (K = ${k})`);
    const distIssue = checkDistribution(distArray);
    if (distIssue !== undefined) throw new ObpFormatError(lineNumber, 'action_dist', distIssue);
    for (let j = 0; j < k; j++) {
      // The reward model predicts rewards: the same bound applies (checked inline, this runs per entry).
      const value = estimatedArray[j]!;
      if (!(value <= maxAbsReward && value >= -maxAbsReward)) throw new ObpFormatError(lineNumber, 'estimated_rewards', `entry ${j} ${checkReward(value) ?? 'is out of range'}`);
    }
    if (this.n === this.capacity) this.grow();
    const i = this.n;
    this.actions[i] = action;
    this.rewards[i] = reward;
    this.pscores[i] = pscore;
    this.actionDist.set(distArray, i * k);
    this.estimatedRewards.set(estimatedArray, i * k);
    this.n = i + 1;
  }

  /** The rounds read, trimmed to n (copies once). Throws if no round was read. */
  finish(): LoggedRounds {
    if (this.n === 0) throw new ObpFormatError(0, 'line', 'the input has no rounds');
    const { n, k } = this;
    return {
      n,
      k,
      actions: this.actions.slice(0, n),
      rewards: this.rewards.slice(0, n),
      pscores: this.pscores.slice(0, n),
      actionDist: this.actionDist.slice(0, n * k),
      estimatedRewards: this.estimatedRewards.slice(0, n * k),
    };
  }

  private grow(): void {
    const capacity = Math.max(1024, this.capacity * 2);
    const k = this.k;
    const actions = new Int32Array(capacity);
    actions.set(this.actions);
    const rewards = new Float64Array(capacity);
    rewards.set(this.rewards);
    const pscores = new Float64Array(capacity);
    pscores.set(this.pscores);
    const actionDist = new Float64Array(capacity * k);
    actionDist.set(this.actionDist);
    const estimatedRewards = new Float64Array(capacity * k);
    estimatedRewards.set(this.estimatedRewards);
    this.actions = actions;
    this.rewards = rewards;
    this.pscores = pscores;
    this.actionDist = actionDist;
    this.estimatedRewards = estimatedRewards;
    this.capacity = capacity;
  }
}

/** Reads a whole `obp` text (tests and small inputs; the CLI streams). */
export function parseObpText(text: string): LoggedRounds {
  const reader = new ObpRoundsReader();
  const lines = text.split('\n');
  lines.forEach((line, index) => reader.addLine(line, index + 1));
  return reader.finish();
}

function parseRecord(text: string, lineNumber: number): Record<string, unknown> {
  const parsed = parseJsonLine(text);
  if (!parsed.ok) throw new ObpFormatError(lineNumber, 'line', parsed.reason);
  const { value } = parsed;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ObpFormatError(lineNumber, 'line', 'must be a JSON object');
  return value as Record<string, unknown>;
}

function requireNumber(value: unknown, field: string, lineNumber: number): asserts value is number {
  if (value === undefined) throw new ObpFormatError(lineNumber, field, 'missing');
  const issue = notFiniteNumber(value);
  if (issue !== undefined) throw new ObpFormatError(lineNumber, field, issue);
}

function requireNumberArray(value: unknown, field: string, lineNumber: number): readonly number[] {
  if (value === undefined) throw new ObpFormatError(lineNumber, field, 'missing');
  if (!Array.isArray(value)) throw new ObpFormatError(lineNumber, field, `must be an array of numbers, got ${describeJsonValue(value)}`);
  for (let j = 0; j < value.length; j++) {
    const entry: unknown = value[j];
    // The plain test first: this runs for every number of every line.
    if (typeof entry === 'number' && Number.isFinite(entry)) continue;
    throw new ObpFormatError(lineNumber, field, `entry ${j} ${notFiniteNumber(entry) ?? 'must be a finite number'}`);
  }
  return value as number[];
}
