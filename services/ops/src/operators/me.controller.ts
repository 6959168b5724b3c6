import { Controller, Get, Inject, Req } from '@nestjs/common';
import type { Request } from 'express';
import { OperatorRegistry } from './operator-registry';
import { OPERATORS } from './operator-request';

/** Who the token belongs to and what they may do (the console shows only what is allowed). */
@Controller('v1/me')
export class MeController {
  constructor(@Inject(OPERATORS) private readonly operators: OperatorRegistry) {}

  @Get()
  me(@Req() req: Request): unknown {
    return this.operators.authenticate(req.headers.authorization);
  }
}
