/** What tests use of a stack whichever its topology (one cluster in the process, or both provinces). */
export interface StackSurface {
  id: string;
  /** Prefix of the run's topics (`<namespace>.<node>.inbox`, ...), in every cluster it uses. */
  namespace: string;
  /** The gateway (with two provinces, Sichuan's; a municipal system uses its own province's, gatewayUrlFor). */
  gatewayUrl: string;
  /** The gateway of a province (510000, 500000). */
  gatewayUrlOf(province: string): string;
  /** The gateway of a development key's own province, where its municipal system publishes and reads. */
  gatewayUrlFor(key: string): string;
  /** The internal API of a region node. */
  nodeUrl(region: string): string;
  /** The registry (with two provinces, Sichuan's). */
  registryUrl: string;
  /** What a client of the registry sends (the development profile's admin user). */
  registryAuth: { username: string; password: string };
  /** Settings every service got from the test (the node service token among them). */
  env: Record<string, string>;
  /** A node's inbox topic. */
  inbox(region: string): string;
  /** Stops the services and removes the run's topics and databases. */
  stop(): Promise<void>;
}
