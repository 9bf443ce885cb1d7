import { GenerateContentResponse, GoogleGenAI } from '@google/genai';
import type { ChatParams, KeyCheckResult, ModelInfo, ProviderCallParams } from '../provider';
import type { ErrorContext, ProviderError } from '../provider.errors';
import { SdkProvider, UpstreamStream } from '../sdk-provider.base';
import type { ChatResult } from '../wire/chat.model';
import { compact } from '../wire/codec.util';
import { GoogleResponseDecoder, toGoogleRequest } from './google.codec';
import { mapGoogleError } from './google.errors';

/** Gemini (Gemini API, not Vertex) through `@google/genai`. */
export class GoogleProvider extends SdkProvider<GoogleGenAI, GenerateContentResponse> {
  override readonly id = 'google' as const;

  listModels(p: ProviderCallParams): Promise<ModelInfo[]> {
    return this.call(p, 'models', undefined, async (ai, signal) => {
      const models: ModelInfo[] = [];
      const pager = await ai.models.list({ config: { pageSize: 1000, abortSignal: signal } });
      for await (const model of pager) {
        if (!model.name) continue;
        // Embedding, image and other models cannot chat.
        if (model.supportedActions && !model.supportedActions.includes('generateContent')) continue;
        models.push(this.modelInfo(model.name.replace(/^models\//, ''), model.displayName, model.inputTokenLimit));
      }
      return models;
    });
  }

  chat(p: ChatParams): Promise<ChatResult> {
    return this.call(p, 'chat', p.model, async (ai, signal) => {
      const response = await ai.models.generateContent(toGoogleRequest(p, signal));
      const decoder = new GoogleResponseDecoder(p.model);
      decoder.push(response);
      return decoder.result();
    });
  }

  protected probeKey(p: ProviderCallParams): Promise<KeyCheckResult> {
    return this.call(p, 'models', undefined, async (ai, signal) => {
      await ai.models.list({ config: { pageSize: 1, abortSignal: signal } });
      return { valid: true };
    });
  }

  protected async openStream(ai: GoogleGenAI, p: ChatParams, signal: AbortSignal): Promise<UpstreamStream<GenerateContentResponse>> {
    const chunks = await ai.models.generateContentStream(toGoogleRequest(p, signal));
    return { chunks, decoder: new GoogleResponseDecoder(p.model) };
  }

  protected mapError(error: unknown, ctx: ErrorContext): ProviderError {
    return mapGoogleError(error, ctx);
  }

  protected client(p: ProviderCallParams): GoogleGenAI {
    return new GoogleGenAI({
      apiKey: p.apiKey,
      // Explicit, so GOOGLE_GENAI_USE_VERTEXAI / GOOGLE_CLOUD_* in the environment cannot switch the backend.
      vertexai: false,
      httpOptions: compact({
        baseUrl: this.baseUrl(p),
        headers: this.options.headers,
        // No retryOptions: the SDK then makes exactly one attempt. The deadline is ours (RequestDeadline).
      }),
    });
  }
}
