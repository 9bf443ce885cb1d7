// The API's testing entry (`@pantheon/api/testing`): what test/ and bench/ use of the app's internals, so they
// never import apps/api/src by path. Production code does not import this file.
export { createApp } from './app.factory';
export { ApiKeyService } from './user/api-key.service';
export { McpToolSource } from './ai/mcp-tool-source';
export { runToolLoop } from './ai/tool-loop';
