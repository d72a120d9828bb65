import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { VirtnetError, type ErrorCode } from '@virtnet/shared';
import type { Response } from 'express';
import { toVirtnetError } from './errors.js';

/**
 * Every HTTP error answers with {"error": {"code", "message", "field"?}}:
 * service errors keep their code, framework errors (unknown route, malformed
 * JSON body) get one, and internal errors are logged, never sent.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    let err: VirtnetError;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code: ErrorCode = status === 404 ? 'NOT_FOUND' : status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT';
      const message =
        status === 404 ? 'no such API route' : /JSON/i.test(exception.message) ? 'the request body is not valid JSON' : exception.message;
      err = new VirtnetError(code, message);
      res.status(status >= 500 ? 500 : status).json(err.toBody());
      return;
    }
    err = toVirtnetError(exception);
    if (err.code === 'INTERNAL') this.log.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    res.status(err.status).json(err.toBody());
  }
}
