/** Where a topic sits on the failure path: the main topic (level 0), a retry topic, or its dead-letter topic. */
export interface TopicStage {
  mainTopic: string;
  level: number;
  deadLetter: boolean;
}

/** A node's topic read back from its name. */
export interface NodeTopic extends TopicStage {
  namespace: string;
  /** The division code of the node that reads the topic. */
  node: string;
  kind: 'inbox' | 'local';
}

const NODE_TOPIC = /^(.+)\.(\d{6})\.(inbox|local)$/;
const RETRY_TOPIC = /^(.+)\.retry\.(\d+)$/;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Topic names are part of the fixed interface: `<namespace>.<node>.inbox`, `.retry.<n>`, `.dlq`.
 * `<namespace>.<node>.local` holds the publishing region's own copies of its events (all fields): only
 * that node reads it, so nothing a partner principal may read carries more than was meant for it.
 * Each name is built here, and read back here.
 */
export const topics = {
  inbox: (namespace: string, node: string) => `${namespace}.${node}.inbox`,
  local: (namespace: string, node: string) => `${namespace}.${node}.local`,
  /** Matches exactly the inboxes of `nodes` (no retry or dead-letter topic), e.g. for a topic subscription. */
  inboxPattern: (namespace: string, nodes: string[]) => new RegExp(`^${escape(namespace)}\\.(${nodes.map(escape).join('|')})\\.inbox$`),
  retry: (topic: string, n: number) => `${topic}.retry.${n}`,
  dlq: (topic: string) => `${topic}.dlq`,

  /** The inverse of `retry` and `dlq`: any topic's main topic and stage on the failure path. */
  stage(topic: string): TopicStage {
    const retry = RETRY_TOPIC.exec(topic);
    if (retry) return { mainTopic: retry[1], level: Number(retry[2]), deadLetter: false };
    if (topic.endsWith('.dlq')) return { mainTopic: topic.slice(0, -4), level: 0, deadLetter: true };
    return { mainTopic: topic, level: 0, deadLetter: false };
  },

  /** The inverse of `inbox` and `local`, through their retry and dead-letter topics; undefined for any other topic. */
  parse(topic: string): NodeTopic | undefined {
    const stage = topics.stage(topic);
    const m = NODE_TOPIC.exec(stage.mainTopic);
    return m ? { ...stage, namespace: m[1], node: m[2], kind: m[3] as NodeTopic['kind'] } : undefined;
  },
};
