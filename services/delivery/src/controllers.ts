import { ApiDescriptionController } from '@tongban/http';
import { OpsController } from '@tongban/observability';
import { DeliveriesController } from './deliveries/deliveries.controller';
import { SubscriptionsController } from './subscriptions/subscriptions.controller';

/** Every controller of the delivery service. */
export const DELIVERY_CONTROLLERS = [SubscriptionsController, DeliveriesController, OpsController, ApiDescriptionController];
