import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ArgumentsHost,
  BadRequestException,
  ConsoleLogger,
  ForbiddenException,
  HttpException,
  HttpStatus,
  Logger,
  LoggerService,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { AuthError, AuthErrorCode, rateLimited } from '@pantheon/auth';
import { ConfigError } from '@pantheon/config';
import { CryptoError, CryptoErrorCode } from '@pantheon/crypto';
import { DbError, DbErrorCode } from '@pantheon/db';
import { OutboundError, OutboundErrorCode } from '@pantheon/outbound';
import { WireFormatError, WireFormatErrorCode } from '@pantheon/providers';
import { DomainError, DomainErrorCode } from './domain.error';
import { mapError } from './error-map';
import { ErrorBody, HttpExceptionFilter } from './http-exception.filter';

const INTERNAL = { status: 500, message: 'Internal server error' };

describe('mapError', () => {
  describe('HttpException', () => {
    it('joins array messages (validation) and keeps them as details', () => {
      const err = new BadRequestException(['name must be a string', 'provider must be one of: openai']);
      assert.deepEqual(mapError(err), {
        status: 400,
        message: 'name must be a string; provider must be one of: openai',
        details: ['name must be a string', 'provider must be one of: openai'],
      });
    });

    it('keeps a single array message as message and details', () => {
      assert.deepEqual(mapError(new BadRequestException(['id must be a UUID'])), {
        status: 400,
        message: 'id must be a UUID',
        details: ['id must be a UUID'],
      });
    });

    it('passes string messages and statuses through; 4xx are not logged', () => {
      const cases: Array<[HttpException, number, string]> = [
        [new NotFoundException('API key not found'), 404, 'API key not found'],
        [new NotFoundException(), 404, 'Not Found'],
        [new ForbiddenException('nope'), 403, 'nope'],
        [new HttpException('I am a teapot', 418), 418, 'I am a teapot'],
        [new HttpException({ error: 'x' }, 409), 409, 'Http Exception'],
      ];
      for (const [err, status, message] of cases) {
        const mapped = mapError(err);
        assert.equal(mapped.status, status);
        assert.equal(mapped.message, message);
        assert.equal(mapped.log, undefined, message);
        assert.equal(mapped.details, undefined);
      }
    });

    it('logs 5xx HttpExceptions with their cause', () => {
      const err = new ServiceUnavailableException('Not ready: postgres unreachable');
      const mapped = mapError(err);
      assert.equal(mapped.status, 503);
      assert.equal(mapped.message, 'Not ready: postgres unreachable');
      assert.equal(mapped.log, err);
    });
  });

  describe('AuthError', () => {
    it('maps missing and invalid tokens to 401 and missing roles to 403, without the internal reason', () => {
      const cases: Array<[AuthErrorCode, number]> = [
        [AuthErrorCode.MISSING_TOKEN, 401],
        [AuthErrorCode.INVALID_TOKEN, 401],
        [AuthErrorCode.FORBIDDEN, 403],
        [AuthErrorCode.RATE_LIMITED, 429],
      ];
      assert.deepEqual(cases.map(([c]) => c).sort(), Object.values(AuthErrorCode).sort(), 'every AuthErrorCode is covered');
      for (const [code, status] of cases) {
        const mapped = mapError(new AuthError(code, 'Authentication failed', 'signature mismatch for kid abc'));
        assert.deepEqual(mapped, { status, message: 'Authentication failed' });
      }
    });

    it('answers a client over its failure budget 429 with Retry-After in whole seconds', () => {
      const mapped = mapError(rateLimited(41.2, 'unknown kid'));
      assert.equal(mapped.status, 429);
      assert.deepEqual(mapped.headers, { 'Retry-After': '42' });
      assert.match(mapped.message, /Retry-After/);
      assert.doesNotMatch(mapped.message, /kid/);
    });
  });

  describe('DomainError', () => {
    it('maps every code to its 4xx status and keeps the message', () => {
      const expected: Record<DomainErrorCode, number> = {
        [DomainErrorCode.NOT_FOUND]: 404,
        [DomainErrorCode.CONFLICT]: 409,
        [DomainErrorCode.LIMIT_REACHED]: 409,
        [DomainErrorCode.INVALID]: 400,
        [DomainErrorCode.BUDGET_EXHAUSTED]: 402,
        [DomainErrorCode.TOKEN_BUDGET_EXHAUSTED]: 429,
        [DomainErrorCode.DEPENDENCY_UNAVAILABLE]: 502,
        [DomainErrorCode.PLATFORM_AT_CAPACITY]: 503,
        [DomainErrorCode.VIEWER_TICKET_GONE]: 410,
        [DomainErrorCode.VIEWER_SESSION_INVALID]: 403,
      };
      for (const code of Object.values(DomainErrorCode)) {
        assert.ok(code in expected, `DomainErrorCode ${code} has no expectation`);
        assert.deepEqual(mapError(new DomainError(code, `rule ${code} broken`)), { status: expected[code], message: `rule ${code} broken`, code });
      }
      assert.deepEqual(mapError(DomainError.notFound('Custom model')), { status: 404, message: 'Custom model not found', code: 'NOT_FOUND' });
    });
  });

  describe('DbError', () => {
    it('maps not-found and conflict to 404/409', () => {
      assert.deepEqual(mapError(new DbError(DbErrorCode.NOT_FOUND, 'Project not found')), { status: 404, message: 'Project not found' });
      assert.deepEqual(mapError(new DbError(DbErrorCode.CONFLICT, 'Already exists')), { status: 409, message: 'Already exists' });
    });

    it('turns other database errors into a logged generic 500', () => {
      for (const code of [DbErrorCode.MIGRATION_FAILED, DbErrorCode.MIGRATION_CHECKSUM_MISMATCH, DbErrorCode.MIGRATION_INCOMPLETE, DbErrorCode.MIGRATION_MISSING]) {
        const err = new DbError(code, 'relation "users" does not exist in select * from users');
        const mapped = mapError(err);
        assert.deepEqual({ status: mapped.status, message: mapped.message }, INTERNAL, code);
        assert.equal(mapped.log, err);
      }
    });
  });

  describe('wire format and config errors', () => {
    it('maps every wire-format code to 400 with its message', () => {
      for (const code of Object.values(WireFormatErrorCode)) {
        assert.deepEqual(mapError(new WireFormatError(code, `messages[0].content: ${code}`)), { status: 400, message: `messages[0].content: ${code}` });
      }
    });

    it('answers a config error with a logged generic 500', () => {
      const err = new ConfigError(['DATABASE_URL: Required']);
      const mapped = mapError(err);
      assert.deepEqual({ status: mapped.status, message: mapped.message }, INTERNAL);
      assert.equal(mapped.log, err);
    });
  });

  describe('OutboundError', () => {
    it('answers a refused user URL with 400 and a hostile answer with 502, the message naming the rule, unlogged', () => {
      const statuses = Object.values(OutboundErrorCode).map((code) => {
        const message = `base_url ${code}`;
        const mapped = mapError(new OutboundError(code, message));
        assert.equal(mapped.message, message);
        assert.equal(mapped.log, undefined);
        return [code, mapped.status];
      });
      assert.deepEqual(Object.fromEntries(statuses), {
        INVALID_URL: 400,
        ADDRESS_NOT_ALLOWED: 400,
        HOST_UNRESOLVED: 400,
        REDIRECT_REFUSED: 400,
        RESPONSE_TOO_LARGE: 502,
        SSE_LINE_TOO_LONG: 502,
      });
    });
  });

  describe('CryptoError', () => {
    it('fails closed: 500 with a generic message, never the crypto detail, logged', () => {
      for (const code of Object.values(CryptoErrorCode)) {
        const err = new CryptoError(code, `master key version 7 detail for ${code}`);
        const mapped = mapError(err);
        assert.equal(mapped.status, 500);
        assert.equal(mapped.message, 'A stored secret could not be decrypted');
        assert.ok(!mapped.message.includes('version 7'));
        assert.equal(mapped.log, err);
      }
    });
  });

  describe('body-parser style errors', () => {
    const parserError = (props: Record<string, unknown>, message = 'raw parser message with /srv/app/path') =>
      Object.assign(new Error(message), props);

    it('maps known types to their status with our own message', () => {
      const cases: Array<[Record<string, unknown>, number, string]> = [
        [{ status: 413, type: 'entity.too.large' }, 413, 'Request body is too large'],
        [{ status: 400, type: 'entity.parse.failed' }, 400, 'Request body is not valid JSON'],
        [{ status: 415, type: 'encoding.unsupported' }, 415, 'Unsupported request body encoding'],
        [{ status: 415, type: 'charset.unsupported' }, 415, 'Unsupported request body charset'],
        [{ statusCode: 413, type: 'entity.too.large' }, 413, 'Request body is too large'],
        [{ status: 400, type: 'request.aborted' }, 400, 'Bad request'],
      ];
      for (const [props, status, message] of cases) {
        assert.deepEqual(mapError(parserError(props)), { status, message }, JSON.stringify(props));
        // Plain objects (not Errors) carrying the same fields map the same way.
        assert.deepEqual(mapError({ ...props }), { status, message });
      }
    });

    it('does not trust a status outside 4xx or an error without a type', () => {
      for (const props of [{ status: 500, type: 'entity.too.large' }, { status: 302, type: 'x' }, { status: 413 }, { status: '413', type: 'entity.too.large' }]) {
        const err = parserError(props);
        const mapped = mapError(err);
        assert.deepEqual({ status: mapped.status, message: mapped.message }, INTERNAL, JSON.stringify(props));
        assert.equal(mapped.log, err);
      }
    });
  });

  describe('unknown errors', () => {
    it('become a logged 500 with a generic message that reveals nothing', () => {
      const values: unknown[] = [
        new Error('duplicate key value violates unique constraint "users_pkey" in insert into users'),
        new TypeError("Cannot read properties of undefined (reading 'id')"),
        'a thrown string',
        { message: 'an object' },
        null,
        undefined,
        42,
      ];
      for (const value of values) {
        const mapped = mapError(value);
        assert.deepEqual({ status: mapped.status, message: mapped.message }, INTERNAL, String(value));
        assert.equal(mapped.details, undefined);
        assert.equal(mapped.log, value);
      }
    });
  });
});

describe('HttpExceptionFilter', () => {
  const logged: unknown[][] = [];
  const capture: LoggerService = {
    log: () => undefined,
    warn: () => undefined,
    debug: () => undefined,
    verbose: () => undefined,
    error: (...args: unknown[]) => void logged.push(args),
  };
  before(() => Logger.overrideLogger(capture));
  after(() => Logger.overrideLogger(new ConsoleLogger()));

  interface Sent {
    status?: number;
    body?: ErrorBody;
  }

  function host(opts: { type?: string; headersSent?: boolean; req?: Record<string, unknown> } = {}): { host: ArgumentsHost; sent: Sent } {
    const sent: Sent = {};
    const res = {
      headersSent: opts.headersSent ?? false,
      status(code: number) {
        sent.status = code;
        return { json: (body: ErrorBody) => void (sent.body = body) };
      },
    };
    const req = opts.req ?? { id: 'req-abc-123', method: 'GET', url: '/api/user/settings?x=secret-query', user: { id: 'user-1' } };
    const h = {
      getType: () => opts.type ?? 'http',
      switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
    } as unknown as ArgumentsHost;
    return { host: h, sent };
  }

  it('answers {statusCode, error, message, request_id} for client errors and logs nothing', () => {
    logged.length = 0;
    const { host: h, sent } = host();
    new HttpExceptionFilter().catch(new NotFoundException('API key not found'), h);
    assert.equal(sent.status, 404);
    assert.deepEqual(sent.body, { statusCode: 404, error: 'Not Found', message: 'API key not found', request_id: 'req-abc-123' });
    assert.equal(logged.length, 0);
  });

  it("sends a service rule's code with its message", () => {
    const { host: h, sent } = host();
    new HttpExceptionFilter().catch(new DomainError(DomainErrorCode.PLATFORM_AT_CAPACITY, 'The platform is at capacity'), h);
    assert.equal(sent.status, 503);
    assert.deepEqual(sent.body, {
      statusCode: 503, error: 'Service Unavailable', message: 'The platform is at capacity', code: 'PLATFORM_AT_CAPACITY', request_id: 'req-abc-123',
    });
  });

  it('adds details only when there are several validation problems', () => {
    const one = host();
    new HttpExceptionFilter().catch(new BadRequestException(['id must be a UUID']), one.host);
    assert.deepEqual(one.sent.body, { statusCode: 400, error: 'Bad Request', message: 'id must be a UUID', request_id: 'req-abc-123' });
    const two = host();
    new HttpExceptionFilter().catch(new BadRequestException(['a is bad', 'b is bad']), two.host);
    assert.deepEqual(two.sent.body?.details, ['a is bad', 'b is bad']);
    assert.equal(two.sent.body?.message, 'a is bad; b is bad');
  });

  it('hides unknown errors behind a generic 500 and logs them with the request id, user and path', () => {
    logged.length = 0;
    const err = new Error('relation "provider_keys" violates select ... secret detail');
    const { host: h, sent } = host();
    new HttpExceptionFilter().catch(err, h);
    assert.equal(sent.status, 500);
    assert.deepEqual(sent.body, { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error', request_id: 'req-abc-123' });
    assert.ok(!JSON.stringify(sent.body).includes('secret detail'));
    assert.equal(logged.length, 1);
    const text = JSON.stringify(logged[0]);
    assert.ok(text.includes('secret detail') && text.includes('req-abc-123') && text.includes('user-1'), text);
    assert.ok(text.includes('GET /api/user/settings'), text);
    assert.ok(!text.includes('secret-query'), `query string logged: ${text}`);
  });

  it('uses the status text as error and omits request_id when the request has none', () => {
    const { host: h, sent } = host({ req: {} });
    new HttpExceptionFilter().catch(new HttpException('slow down', HttpStatus.TOO_MANY_REQUESTS), h);
    assert.deepEqual(sent.body, { statusCode: 429, error: 'Too Many Requests', message: 'slow down' });
    const numeric = host({ req: { id: 7 } });
    new HttpExceptionFilter().catch(new HttpException('odd', 499), numeric.host);
    assert.deepEqual(numeric.sent.body, { statusCode: 499, error: 'Error', message: 'odd', request_id: '7' });
  });

  it('does not write when headers were already sent, and rethrows for non-HTTP contexts', () => {
    const { host: h, sent } = host({ headersSent: true });
    new HttpExceptionFilter().catch(new NotFoundException(), h);
    assert.deepEqual(sent, {});
    const ws = host({ type: 'ws' });
    const err = new Error('socket problem');
    assert.throws(() => new HttpExceptionFilter().catch(err, ws.host), (e) => e === err);
    assert.deepEqual(ws.sent, {});
  });
});
