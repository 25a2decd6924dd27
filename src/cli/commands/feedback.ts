// `paramloop feedback --db DIR --request ID --verdict accept|reject|rate:N`: the user's verdict on a
// planning request, given after the plan. While the request waits for its outcome (a VS Code window
// holds it for a verdict, as does "paramloop plan --wait-verdict"), the learner keeps the verdict for
// the outcome, which then carries it; once the outcome is recorded, the answer says the verdict came
// too late to be learned from.
import type { Feedback } from '../../service/protocol';
import { readLearnerSettings } from '../../service/learnerSettings';
import { ServiceError } from '../../service/serviceError';
import { connectLearner } from '../storeAccess';
import { parseCommandArgs } from '../args';
import { CliError, type CliCommand } from '../io';

const help = `usage: paramloop feedback --db DIR --request ID --verdict accept|reject|rate:N [--json]

Gives a verdict on a planning request (its id is in "paramloop plan --json" and in the log):
accept, reject, or a rating from 1 to 5 (rate:4). Kept for the request's outcome while it waits for
one; answered as late once its outcome is recorded.`;

/** A verdict as the option gives it. */
export function parseVerdict(text: string): Feedback {
  if (text === 'accept' || text === 'reject') return { verdict: text };
  const m = /^rate:([1-5])$/.exec(text);
  if (m) return { rating: Number(m[1]) };
  throw new CliError(`--verdict: "${text}" is not accept, reject or rate:N with N from 1 to 5`);
}

export const feedbackCommand: CliCommand = {
  summary: 'give a verdict (accept, reject, rate:N) on a planning request',
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      db: { type: 'string' },
      request: { type: 'string' },
      verdict: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    });
    if (values.help) {
      io.stdout(`${help}\n`);
      return 0;
    }
    if (values.db === undefined) throw new CliError('--db DIR is required');
    if (values.request === undefined || values.request.trim() === '') throw new CliError('--request ID is required');
    if (values.verdict === undefined) throw new CliError('--verdict is required: accept, reject or rate:N');
    const feedback = parseVerdict(values.verdict);
    const connection = await connectLearner(values.db, readLearnerSettings({}).settings);
    try {
      const answer = await connection.feedback(values.request, feedback);
      io.stdout(values.json ? `${JSON.stringify(answer)}\n` : `${answer.disposition}: ${answer.message}\n`);
      return answer.disposition === 'held' ? 0 : 3;
    } catch (error) {
      if (error instanceof ServiceError) throw new CliError(error.message, 1);
      throw error;
    } finally {
      await connection.close();
    }
  },
};
