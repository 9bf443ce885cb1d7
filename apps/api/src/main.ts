import 'reflect-metadata';
import { loadConfig } from '@pantheon/config';
import { createApp } from './app.factory';
import { runApi } from './cluster';

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  await runApi(config, async () => {
    const app = await createApp({ config });
    await app.listen(config.API_PORT, config.API_HOST);
  });
}

bootstrap().catch((err: Error) => {
  // Config and migration errors name their cause; print the message, not a stack of framework frames.
  process.stderr.write(`pantheon-api failed to start: ${err.message}\n`);
  process.exit(1);
});
