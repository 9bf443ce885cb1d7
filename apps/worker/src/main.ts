import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@pantheon/config';
import { Logger } from 'nestjs-pino';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  // An application context, not an HTTP app: the worker opens no port.
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  app.get(Logger).log('pantheon-worker started');
}

bootstrap().catch((err: Error) => {
  process.stderr.write(`pantheon-worker failed to start: ${err.message}\n`);
  process.exit(1);
});
