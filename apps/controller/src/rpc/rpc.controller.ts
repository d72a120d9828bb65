import { Body, Controller, HttpCode, Inject, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { RpcServer } from './rpc.server.js';

/**
 * POST /api/v1/rpc: the CLI's JSON-RPC methods for a CLI on another machine
 * (`virtnet --controller https://dpu7:8780`), behind the access token like
 * every route. The answer is JSON-RPC too, with HTTP 200 whatever the
 * method's outcome: the CLI reads it as it reads the socket's.
 */
@Controller('api/v1')
export class RpcController {
  constructor(@Inject(RpcServer) private readonly rpc: RpcServer) {}

  @Post('rpc')
  @HttpCode(200)
  async call(@Body() body: unknown, @Res() res: Response): Promise<void> {
    const answer = await this.rpc.receiveRemote(body);
    if (answer === null) res.status(204).end();
    else res.json(answer);
  }
}
