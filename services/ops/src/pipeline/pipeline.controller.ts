import { Controller, Get, Inject, Req } from '@nestjs/common';
import type { Request } from 'express';
import { OperatorRegistry } from '../operators/operator-registry';
import { OPERATORS, operatorOf } from '../operators/operator-request';
import { PipelineService } from './pipeline.service';
import type { PipelineStatus } from './pipeline-status';

/**
 * `GET /v1/pipeline` (viewer): this province's outbox backlog per database and the consumer lag per group and
 * partition of its inbox topics, each marked when over its threshold. Read only.
 */
@Controller('v1/pipeline')
export class PipelineController {
  constructor(
    private readonly pipeline: PipelineService,
    @Inject(OPERATORS) private readonly operators: OperatorRegistry,
  ) {}

  @Get()
  status(@Req() req: Request): Promise<PipelineStatus> {
    operatorOf(this.operators, req, 'pipeline.read');
    return this.pipeline.status();
  }
}
