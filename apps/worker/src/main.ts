import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@pantheon/config';
import { Logger } from 'nestjs-pino';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  // An application context, not an HTTP app: the only port is the internal /metrics listener (MetricsModule).
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.get(Logger).log('pantheon-worker started');
  // No HTTP server keeps the process alive: wait for a stop signal, then close (drains processors).
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  app.get(Logger).log(`pantheon-worker stopping (${signal})`);
  await app.close();
}

bootstrap().catch((err: Error) => {
  process.stderr.write(`pantheon-worker failed to start: ${err.message}\n`);
  process.exit(1);
});
