import { ApiDescriptionController } from '@tongban/http';
import { OpsController } from '@tongban/observability';
import { AuditSearchController } from './audit/audit-search.controller';
import { AuditController } from './audit/audit.controller';
import { ConsoleController } from './console/console.controller';
import { DlqController, DlqTriageController, ReplayJobsController } from './dead-letters/infrastructure/dlq.controller';
import { DeliveriesController } from './deliveries/deliveries.controller';
import { HoldsController } from './holds/holds.controller';
import { LinkController } from './link/link.controller';
import { MeController } from './operators/me.controller';
import { PipelineController } from './pipeline/pipeline.controller';
import { TransitController } from './transit/transit.controller';

/** Every controller of the ops service, in the order they are registered (the colon paths before `v1/dlq/:id`). */
export const OPS_CONTROLLERS = [
  DlqTriageController,
  ReplayJobsController,
  DlqController,
  HoldsController,
  DeliveriesController,
  PipelineController,
  AuditController,
  AuditSearchController,
  MeController,
  LinkController,
  TransitController,
  ConsoleController,
  OpsController,
  ApiDescriptionController,
];
