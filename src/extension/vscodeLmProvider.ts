import * as vscode from 'vscode';
import type { ArmParameters } from '../core/types';
import type { LlmProvider, LlmRequest, LlmResult, RequestMapping } from '../llm/provider';
import type * as LearnerModule from '../service/session';

type Llm = Pick<typeof LearnerModule, 'LlmError' | 'mapArm' | 'wireName' | 'modelFamily'>;
type Constraints = InstanceType<typeof LearnerModule.ModelConstraints>;

/**
 * VS Code's chat models that `model` names: by id, else by family; of `vendor` only, when given.
 */
export async function selectChatModels(model: string, vendor?: string): Promise<vscode.LanguageModelChat[]> {
  const byId = await vscode.lm.selectChatModels({ id: model, ...(vendor !== undefined ? { vendor } : {}) });
  if (byId.length > 0) return byId;
  return vscode.lm.selectChatModels({ family: model, ...(vendor !== undefined ? { vendor } : {}) });
}

/**
 * VS Code's Language Model API as a provider (`vscode-lm`): the model is chosen by id or family
 * (`paramloop.model`), the system text goes at the head of the first user turn (the API has no
 * system role), and only what the model's chat provider passes through is honoured (the constraint
 * table's `vscode-lm` entries for the model's vendor: Copilot keeps temperature, max_tokens,
 * penalties and one stop string, some families only max_tokens), so the mapping logs what was
 * honoured per model. `vendor` is the vendor of the chat model `paramloop.model` names, when one
 * was found: requests go to that vendor's model, mapped by its entries. The first request may ask
 * the user's consent: planning commands run on a user action.
 */
export class VscodeLmProvider implements LlmProvider {
  readonly id = 'vscode-lm' as const;
  constructor(
    private readonly llm: Llm,
    private readonly constraints: Constraints,
    readonly vendor?: string,
  ) {}

  family(model: string): string {
    return this.llm.modelFamily(model);
  }

  map(params: ArmParameters, model: string): RequestMapping {
    return this.llm.mapArm(this.id, model, params, this.constraints, this.vendor !== undefined ? { vendor: this.vendor } : {});
  }

  inputWindow(): number | undefined {
    return undefined;
  }

  async stream(request: LlmRequest): Promise<LlmResult> {
    const { LlmError } = this.llm;
    const started = performance.now();
    const models = await selectChatModels(request.model, this.vendor);
    const chat = models[0];
    if (!chat) {
      const available = (await vscode.lm.selectChatModels()).map((m) => `${m.id} (${m.family})`);
      throw new LlmError(
        'noModel',
        available.length === 0
          ? `no VS Code language model is available: sign in to a chat extension (e.g. GitHub Copilot), or choose another provider with "Paramloop: Choose Provider and Model…"`
          : `no VS Code language model matches "${request.model}"; available: ${available.slice(0, 8).join(', ')}. Set paramloop.model to one of them.`,
      );
    }
    const system = request.messages.filter((m) => m.role === 'system').map((m) => m.content);
    const messages: vscode.LanguageModelChatMessage[] = [];
    let first = true;
    for (const m of request.messages) {
      if (m.role === 'system') continue;
      const content = first && m.role === 'user' && system.length > 0 ? `${system.join('\n\n')}\n\n${m.content}` : m.content;
      first = false;
      messages.push(m.role === 'assistant' ? vscode.LanguageModelChatMessage.Assistant(content) : vscode.LanguageModelChatMessage.User(content));
    }
    const modelOptions: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(request.mapping.sent)) {
      if (value === undefined || name === 'model') continue;
      const wire = this.llm.wireName(this.id, name as keyof ArmParameters, request.mapping);
      // Copilot takes one stop string.
      modelOptions[wire] = name === 'stop' && Array.isArray(value) ? value[0] : value;
    }
    const cancel = new vscode.CancellationTokenSource();
    const onAbort = (): void => cancel.cancel();
    request.signal?.addEventListener('abort', onAbort);
    let text = '';
    let firstAt: number | undefined;
    try {
      const response = await chat.sendRequest(messages, { modelOptions, justification: 'Paramloop asks for a plan you requested.' }, cancel.token);
      request.onSent?.(request.mapping);
      for await (const piece of response.text) {
        if (request.signal?.aborted) break;
        firstAt ??= performance.now();
        text += piece;
        request.onText?.(piece);
      }
      if (request.signal?.aborted) throw new LlmError('cancelled', 'the plan was cancelled', { partialText: text });
      const [tokensIn, tokensOut] = await Promise.all([
        Promise.all(messages.map((m) => chat.countTokens(m))).then((counts) => counts.reduce((a, b) => a + b, 0)),
        chat.countTokens(text),
      ]).catch(() => [Math.ceil(request.messages.reduce((s, m) => s + m.content.length, 0) / 4), Math.ceil(text.length / 4)]);
      return {
        text,
        // The API does not say why a response ended: a plan that ended is taken as stopped.
        finishReason: 'stop',
        tokensIn: tokensIn ?? 0,
        tokensOut: tokensOut ?? 0,
        usageEstimated: true,
        modelUsed: chat.id,
        latencyMs: performance.now() - started,
        ...(firstAt !== undefined ? { timeToFirstTokenMs: firstAt - started } : {}),
        retries: 0,
        mapping: request.mapping,
        learnedUnsupported: [],
      };
    } catch (error) {
      if (error instanceof LlmError) throw error;
      throw this.describe(error, chat, text);
    } finally {
      request.signal?.removeEventListener('abort', onAbort);
      cancel.dispose();
    }
  }

  /** `LanguageModelError` codes and Copilot's named errors as kinds the user can act on. */
  private describe(error: unknown, chat: vscode.LanguageModelChat, partialText: string): Error {
    const { LlmError } = this.llm;
    const message = error instanceof Error ? error.message : String(error);
    const name = error instanceof Error ? error.name : '';
    const code = error instanceof vscode.LanguageModelError ? error.code : name;
    const details = { code, cause: error, ...(partialText ? { partialText } : {}) };
    if (error instanceof vscode.CancellationError) return new LlmError('cancelled', 'the plan was cancelled', details);
    if (code === vscode.LanguageModelError.NoPermissions.name || code === 'NoPermissions') {
      return new LlmError('permission', `Paramloop may not use ${chat.name} yet: allow it when VS Code asks (run the command again), or choose another provider. (${message})`, details);
    }
    if (code === vscode.LanguageModelError.Blocked.name || code === 'Blocked') return new LlmError('blocked', `${chat.name} refused the request: ${message}`, details);
    if (code === vscode.LanguageModelError.NotFound.name || code === 'NotFound') return new LlmError('notFound', `${chat.name} is no longer available: ${message}. Choose another model.`, details);
    if (name === 'ChatQuotaExceeded' || /quota/i.test(message)) return new LlmError('quota', `${chat.name}: your quota is used up (${message}). Choose another provider, or wait.`, details);
    if (name === 'ChatRateLimited' || /rate.?limit/i.test(message)) return new LlmError('rateLimited', `${chat.name} is rate limited: ${message}. Try again in a minute.`, details);
    if (partialText) return new LlmError('streamCut', `${chat.name} stopped answering midway: ${message}`, details);
    return new LlmError('server', `${chat.name} failed: ${message}`, details);
  }
}
