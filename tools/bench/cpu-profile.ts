import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) that a summary needs. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface CpuSummary {
  /** Wall time the profile covers, and the share of it the process was on the CPU (not idle, not collecting garbage). */
  seconds: number;
  busyShare: number;
  gcShare: number;
  /** Self time by where the code lives: the project's code, each package of node_modules, Node's own code. */
  byOwner: { owner: string; share: number }[];
  /** The functions with the most self time. */
  top: { fn: string; where: string; share: number }[];
}

/** Who owns a script: `tongban` for the project's code, the package for node_modules, `node` for Node's own, `(vm)` else. */
export function ownerOf(url: string): string {
  if (!url) return '(vm)';
  if (url.startsWith('node:')) return 'node';
  const i = url.lastIndexOf('node_modules/');
  if (i >= 0) {
    const rest = url.slice(i + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  return url.includes('/dist/') || url.endsWith('.js') ? 'tongban' : '(vm)';
}

/** Self time per function and per owner from the samples (each sample's time is the delta that follows it). */
export function summarise(profile: CpuProfile, top = 10): CpuSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length) {
    for (let i = 0; i < samples.length; i++) self.set(samples[i], (self.get(samples[i]) ?? 0) + Math.max(0, deltas[i + 1] ?? 0));
  } else {
    const interval =
      (profile.endTime - profile.startTime) /
      Math.max(
        1,
        profile.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0),
      );
    for (const n of profile.nodes) self.set(n.id, (n.hitCount ?? 0) * interval);
  }
  const total = profile.endTime - profile.startTime;
  let idle = 0;
  let gc = 0;
  const owners = new Map<string, number>();
  const fns = new Map<string, { fn: string; where: string; us: number }>();
  for (const [id, us] of self) {
    const { callFrame } = byId.get(id)!;
    const name = callFrame.functionName;
    if (name === '(idle)' || name === '(program)') {
      idle += name === '(idle)' ? us : 0;
      if (name === '(idle)') continue;
    }
    if (name === '(garbage collector)') gc += us;
    const owner = name.startsWith('(') ? name : ownerOf(callFrame.url);
    owners.set(owner, (owners.get(owner) ?? 0) + us);
    const where = callFrame.url ? `${callFrame.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${callFrame.lineNumber + 1}` : '';
    const key = `${name}@${where}`;
    const f = fns.get(key) ?? { fn: name || '(anonymous)', where, us: 0 };
    f.us += us;
    fns.set(key, f);
  }
  const busy = Math.max(1, total - idle);
  const share = (us: number) => Math.round((us / busy) * 1000) / 1000;
  return {
    seconds: Math.round(total / 1e5) / 10,
    busyShare: Math.round(((total - idle) / Math.max(1, total)) * 1000) / 1000,
    gcShare: share(gc),
    byOwner: [...owners]
      .filter(([, us]) => us > 0)
      .map(([owner, us]) => ({ owner, share: share(us) }))
      .sort((a, b) => b.share - a.share)
      .slice(0, top),
    top: [...fns.values()]
      .filter((f) => f.us > 0)
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ fn: f.fn, where: f.where, share: share(f.us) })),
  };
}

/** The profiles a stack's processes wrote into `dir`, by process id (`CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`). */
export function readProfiles(dir: string): Map<number, CpuProfile> {
  const out = new Map<number, CpuProfile>();
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const m = /^CPU\.\d+\.\d+\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(name);
    if (m) out.set(Number(m[1]), JSON.parse(readFileSync(join(dir, name), 'utf8')) as CpuProfile);
  }
  return out;
}
