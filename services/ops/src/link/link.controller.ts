import { Controller, Get, Inject, Req } from '@nestjs/common';
import type { Request } from 'express';
import { OperatorRegistry } from '../operators/operator-registry';
import { OPERATORS } from '../operators/operator-request';
import { LinkLag, LinkStatus } from './link-lag';

export const LINK_LAG = Symbol('LINK_LAG');

/** The replication flow into this province (MirrorMaker 2 from the other one), for any signed-in operator. */
@Controller('v1/link')
export class LinkController {
  constructor(
    @Inject(OPERATORS) private readonly operators: OperatorRegistry,
    @Inject(LINK_LAG) private readonly links: LinkLag[],
  ) {}

  @Get()
  async status(@Req() req: Request): Promise<{ configured: boolean; incoming: LinkStatus[] }> {
    this.operators.authenticate(req.headers.authorization);
    return { configured: this.links.length > 0, incoming: await Promise.all(this.links.map((l) => l.status())) };
  }
}
