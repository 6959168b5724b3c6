/** Types of generate-types.js, a plain Node script so that it runs before anything is compiled. */

/** The text of events.ts for the contracts under `root` (default: contracts/avro). */
export function generate(root?: string): string;
/** Absolute path of libs/avro/src/generated/events.ts. */
export const OUTPUT: string;
/** Absolute path of contracts/avro. */
export const CONTRACTS: string;
