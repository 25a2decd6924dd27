// The dashboard's tables of the log itself: the recent decisions (paged), one decision explained
// (opened from the table or by the host's explain event), and the history of phase changes,
// incidents and gate looks (grown a page at a time). Each asks through `load` and draws its answer.
import type { DashboardClient } from '../../src/shared/dashboardRpc';
import type { DashboardResult } from '../../src/shared/dashboardProtocol';
import { button, dataDisclosure, element, fill, linkButton, num, pairs, table, when, whole } from './dom';
import { taskTypeNames, type TaskType } from './views';

/** What the tables need from the page: the client, its way of asking and drawing, and of saying a failure. */
export interface TableContext {
  client: DashboardClient;
  /** Asks, then draws the answer into each of `draws`' sections (or says there that it failed). */
  load<T>(ask: () => Promise<T>, draws: Record<string, (result: T) => void>): Promise<void>;
  failed(node: HTMLElement, error: unknown): void;
  paramsText(params: Record<string, unknown> | undefined): string;
}

/** The tables over the sections `decisions`, `explain` and `history`. */
export function createTables(sections: Record<string, HTMLElement>, context: TableContext) {
  const { client, load, failed } = context;
  const explain = sections.explain!;
  explain.hidden = true;
  // Focus moves to this heading when a decision is opened (screen readers then read the explanation).
  explain.querySelector('h2')!.tabIndex = -1;
  fill(explain, element('p', 'Open a decision from the table to see it explained.', 'muted'));

  // ---- Recent decisions ----

  /** The `before` of each page shown so far (undefined: the newest page). */
  const pageStack: Array<number | undefined> = [undefined];

  function renderDecisions(d: DashboardResult<'recentDecisions'>): void {
    const t = table(
      'Recent decisions, newest first (open one to see it explained)',
      ['Request', 'Time', 'Task type', 'Phase', 'Served by', 'Arm', 'Propensity', 'Reward', 'Quality', 'Latency (ms)', 'Tokens', 'Verdict'],
      [],
      'data decisions-table',
    );
    const body = t.querySelector('tbody')!;
    for (const row of d.rows) {
      const tr = element('tr');
      tr.dataset.requestId = row.requestId;
      const th = element('th');
      th.scope = 'row';
      th.append(linkButton(row.requestId, () => void openDecision(row.requestId), `Explain decision ${row.requestId}`));
      tr.append(th);
      for (const cell of [
        when(row.timestamp),
        row.taskType === null ? '—' : (taskTypeNames[row.taskType as TaskType] ?? row.taskType),
        row.phase,
        row.servedBy,
        row.armId,
        num(row.propensity),
        num(row.reward),
        num(row.quality),
        whole(row.latencyMs),
        whole(row.tokens),
        row.error ? 'error' : row.verdict === null ? (row.defaulted ? 'none (timed out)' : '—') : row.verdict,
      ])
        tr.append(element('td', cell));
      tr.addEventListener('click', (event) => {
        if (event.target instanceof HTMLButtonElement) return; // the request id's own button opened it
        void openDecision(row.requestId);
      });
      body.append(tr);
    }
    const nav = element('div', undefined, 'pager');
    const newer = button('Newer', () => {
      pageStack.pop();
      void loadDecisions();
    }, { icon: 'chevron-left', secondary: true });
    newer.disabled = pageStack.length <= 1;
    const older = button('Older', () => {
      pageStack.push(d.nextBefore ?? undefined);
      void loadDecisions();
    }, { icon: 'chevron-right', secondary: true });
    older.disabled = d.nextBefore === null;
    nav.append(newer, element('span', `Page ${pageStack.length}`, 'muted'), older);
    fill(sections.decisions!, d.rows.length === 0 ? element('p', 'No decision logged yet.', 'muted') : t, nav);
  }

  /** Asks for the page of decisions shown (the newest, or the one paged to). */
  function loadDecisions(): Promise<void> {
    const before = pageStack[pageStack.length - 1];
    return load(() => client.request('recentDecisions', { ...(before !== undefined ? { before } : {}), limit: 25 }), { decisions: renderDecisions });
  }

  // ---- One decision explained ----

  /** Shows one decision explained, and moves focus to it. */
  async function openDecision(requestId: string): Promise<void> {
    explain.hidden = false;
    explain.dataset.state = 'loading';
    try {
      renderExplained(await client.request('explainDecision', { requestId }));
    } catch (error) {
      failed(explain, error);
    }
    explain.scrollIntoView?.({ block: 'start' });
    explain.querySelector<HTMLElement>('h2')?.focus();
  }

  function renderExplained(e: DashboardResult<'explainDecision'>): void {
    const close = button('Back to the table', () => {
      explain.hidden = true;
      sections.decisions!.querySelector<HTMLButtonElement>('button.link')?.focus();
    }, { icon: 'arrow-left', secondary: true });
    if (!e.found) {
      fill(explain, element('p', `Decision ${e.requestId} is not in the log (retention may have folded it).`, 'warning'), close);
      return;
    }
    const d = e.decision;
    const parts: HTMLElement[] = [
      element('p', d.why, 'why'),
      pairs([
        ['Request', d.requestId],
        ['Time', when(d.timestamp)],
        ['Task type', d.taskType === null ? '—' : (taskTypeNames[d.taskType as TaskType] ?? d.taskType)],
        ['Phase / served by', `${d.phase} / ${d.servedBy}`],
        ['Policy', `${d.policyId} v${d.policyVersion}`],
        ['Arm', `${d.armId} (baseline arm: ${d.baselineArmIndex})`],
        ['Parameters', context.paramsText(d.params)],
        ['Propensity', num(d.propensity, 4)],
        ['Shadow choice', d.shadow === undefined ? '—' : `${d.shadow.armId} (p=${num(d.shadow.propensity, 4)})`],
        ['Honoured / dropped', `${d.honoured?.join(', ') ?? '—'} / ${d.dropped?.join(', ') ?? '—'}`],
        ['Model used', d.modelUsed ?? '—'],
        ['Waivers', d.waivers.length === 0 ? 'none' : d.waivers.join(', ')],
        ['Reward', d.reward === null ? 'not yet' : `${num(d.reward.reward)}${d.reward.violations.length > 0 ? ` (violations: ${d.reward.violations.join('; ')})` : ''}`],
      ]),
      table('Probability of each arm when this decision was drawn', ['Arm', 'Probability'], d.probabilities.map((p) => [p.armId, num(p.probability, 4)]), 'data probability-table'),
    ];
    if (d.outcome !== null) {
      const o = d.outcome;
      parts.push(
        table('Outcome', ['Field', 'Value'], [
          ['Latency (ms)', whole(o.latencyMs)],
          ['Time to first token (ms)', whole(o.timeToFirstTokenMs)],
          ['Tokens in / out', `${whole(o.tokensIn)} / ${whole(o.tokensOut)}`],
          ['Finish', o.finishReason],
          ['Quality', num(o.quality)],
          ['Verdict', o.verdict ?? (o.defaulted ? 'none (timed out)' : '—')],
          ['Rating', num(o.rating, 0)],
          ['Error', o.error ?? 'none'],
        ]),
      );
    } else parts.push(element('p', 'No outcome yet.', 'muted'));
    if (d.context.length > 0) parts.push(dataDisclosure(`Context features (${d.context.length})`, table(`Context (fingerprint ${d.contextFingerprint})`, ['Feature', 'Value'], d.context.map((c) => [c.name, num(c.value)]))));
    fill(explain, ...parts, close);
  }

  // ---- History ----

  const historyEntries: DashboardResult<'history'>['entries'] = [];
  let historyNext: number | null = null;

  function renderHistory(): void {
    const rows = historyEntries.map((e) => {
      switch (e.kind) {
        case 'rollout':
          return [when(e.timestamp), 'Phase change', `${e.event}: ${e.from} → ${e.to} (${e.status}) by ${e.actor}: ${e.reason}`];
        case 'incident':
          return [when(e.timestamp), 'Incident', `${e.metric}: ${e.from} → ${e.to}: ${e.message}`];
        case 'gateLook':
          return [when(e.timestamp), 'Gate look', `${e.phase} look ${e.look} on ${whole(e.rows)} rows${e.verdict ? `: ${e.verdict.passed ? 'passed' : 'not passed'}, ${e.verdict.summary}` : ''}`];
      }
    });
    const more = button('Older entries', () => void loadHistory(true), { icon: 'chevron-down', secondary: true });
    more.disabled = historyNext === null;
    fill(sections.history!, rows.length === 0 ? element('p', 'Nothing has happened yet.', 'muted') : table('Phase changes, incidents and gate looks, newest first', ['Time', 'Kind', 'What happened'], rows, 'data history-table'), more);
  }

  /** Asks for the newest history entries, or (`more`) for the page older than those shown; they are kept as they arrive, drawn all together. */
  function loadHistory(more = false): Promise<void> {
    return load(
      () =>
        client.request('history', { ...(more && historyNext !== null ? { before: historyNext } : {}), limit: 50 }).then((page) => {
          if (!more) historyEntries.length = 0;
          historyEntries.push(...page.entries);
          historyNext = page.nextBefore;
        }),
      { history: renderHistory },
    );
  }

  return {
    loadDecisions,
    loadHistory,
    openDecision,
    /** Whether the newest page of decisions is shown (a refresh asks for it again; an older page stays). */
    onNewestPage: (): boolean => pageStack.length === 1,
  };
}
