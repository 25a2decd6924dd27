import * as vscode from 'vscode';
import type { LlmProvider, ProviderId } from '../llm/provider';
import type * as LearnerModule from '../service/session';
import type { PlanArmsCache, ProviderHealth } from '../planning/runPlan';
import type { ParameterSpace } from '../core/space';
import { selectChatModels, VscodeLmProvider } from './vscodeLmProvider';

/** Where a provider's API key is kept in VS Code's SecretStorage (never in settings). */
export const secretKey = (provider: ProviderId): string => `paramloop.apiKey.${provider}`;

/** The provider settings as read (user scope for URLs: see package.json's restricted configurations). */
export interface ProviderSettings {
  provider: ProviderId;
  model: string;
  openaiBaseUrl: string;
  anthropicBaseUrl: string;
  /** `paramloop.modelConstraints` as written. */
  modelConstraints: unknown;
}

/** A provider in use, with what planning keeps per provider: its health and the arms per model. */
export interface ActiveProvider {
  provider: LlmProvider;
  model: string;
  health: ProviderHealth;
  arms: PlanArmsCache;
}

/**
 * Builds providers from the settings and the secret storage, and keeps each (with its health, its
 * learned constraints and its cached arms) while its settings, key and the space stay the same.
 */
export class Providers {
  private readonly cache = new Map<string, ActiveProvider>();
  private constraints: InstanceType<typeof LearnerModule.ModelConstraints> | undefined;
  private constraintsSource = '';
  /** The vendor of the VS Code chat model each `paramloop.model` value names, until the chat models change. */
  private readonly vendors = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  async get(module: typeof LearnerModule, settings: ProviderSettings, space: ParameterSpace, override: { provider?: ProviderId; model?: string; vendor?: string } = {}): Promise<ActiveProvider> {
    const id = override.provider ?? settings.provider;
    const model = override.model ?? settings.model;
    const constraints = this.constraintsFor(module, settings.modelConstraints);
    const apiKey = id === 'vscode-lm' ? undefined : await this.secrets.get(secretKey(id));
    // Which vendor's entries of the table apply: Copilot's chat provider drops what another's may pass.
    const vendor = id === 'vscode-lm' ? (override.vendor ?? (await this.vendorOf(model))) : undefined;
    if (id === 'anthropic' && !apiKey) throw new Error('no API key for Anthropic: run "Paramloop: Set API Key…" (it is kept in VS Code\'s secret storage only).');
    const baseUrl = id === 'anthropic' ? settings.anthropicBaseUrl : id === 'openai-compatible' ? settings.openaiBaseUrl : '';
    const key = JSON.stringify([id, baseUrl, apiKey === undefined ? 0 : module.keyFingerprint(apiKey), this.constraintsSource, vendor ?? null]);
    let active = this.cache.get(key);
    if (active && active.arms.space !== space) active = undefined;
    if (!active) {
      let provider: LlmProvider;
      if (id === 'vscode-lm') provider = new VscodeLmProvider(module, constraints, vendor);
      else if (id === 'anthropic') provider = module.createAnthropicProvider({ baseUrl, apiKey: apiKey ?? '', constraints });
      else provider = module.createOpenAiCompatibleProvider({ baseUrl, ...(apiKey ? { apiKey } : {}), constraints });
      const previous = [...this.cache.values()].find((p) => p.provider.id === id);
      active = { provider, model, health: previous?.health ?? new module.ProviderHealth(), arms: new module.PlanArmsCache(provider, space) };
      this.cache.set(key, active);
    }
    return { ...active, model };
  }

  /** VS Code's chat models changed (a model came or went): their vendors are looked up again. */
  forgetChatModels(): void {
    this.vendors.clear();
  }

  private vendorOf(model: string): Promise<string | undefined> {
    let vendor = this.vendors.get(model);
    if (vendor === undefined) {
      vendor = selectChatModels(model).then(
        (models) => models[0]?.vendor,
        () => undefined,
      );
      // A model not (yet) there is looked up again next time.
      void vendor.then((found) => {
        if (found === undefined && this.vendors.get(model) === vendor) this.vendors.delete(model);
      });
      this.vendors.set(model, vendor);
    }
    return vendor;
  }

  /** Forgets every provider (the settings or a key changed). */
  reset(): void {
    this.cache.clear();
  }

  private constraintsFor(module: typeof LearnerModule, raw: unknown): InstanceType<typeof LearnerModule.ModelConstraints> {
    const source = JSON.stringify(raw ?? []);
    if (this.constraints && source === this.constraintsSource) return this.constraints;
    let entries: ReturnType<typeof module.parseModelConstraints> = [];
    try {
      entries = module.parseModelConstraints(raw ?? [], 'paramloop.modelConstraints');
    } catch (error) {
      const text = `${error instanceof Error ? error.message : String(error)}; the built-in table is used without your entries.`;
      this.log.warn(text);
      void vscode.window.showWarningMessage(`Paramloop: ${text}`);
    }
    this.constraints = new module.ModelConstraints(entries);
    this.constraintsSource = source;
    this.cache.clear();
    return this.constraints;
  }
}
