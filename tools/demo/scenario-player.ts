import { bold, cyan, dim, green, maskId, maskName, red, region, yellow } from './console-format';
import { EventBody, exampleBody } from '../contracts/examples';
import { CaseView, Scenario, Step } from './scenario';

export interface PlayerOptions {
  gatewayUrl: string;
  /** With two provinces: the gateway of the key's own province (its URL and a name to show), else gatewayUrl. */
  gatewayFor?: (key: string) => { url: string; name: string } | undefined;
  /** Appended to every case id so that runs never meet each other's cases. */
  runId: string;
  print?: (line: string) => void;
  /** Told of each event a gateway accepted (202), with its event id. */
  onAccepted?: (eventId: string, step: Step) => void;
  stepTimeoutMs?: number;
}

export interface StepResult {
  scenario: string;
  step: string;
  ok: boolean;
  detail: string;
}

/** Plays scenarios against a running gateway, step by step, checking each expected outcome. */
export class ScenarioPlayer {
  private readonly print: (line: string) => void;
  private readonly timeoutMs: number;

  constructor(private readonly options: PlayerOptions) {
    this.print = options.print ?? ((line) => console.log(line));
    this.timeoutMs = options.stepTimeoutMs ?? 30000;
  }

  caseId(base: string): string {
    return `${base}-${this.options.runId}`;
  }

  async play(scenarios: Scenario[]): Promise<StepResult[]> {
    const results: StepResult[] = [];
    for (const [i, scenario] of scenarios.entries()) {
      this.print(`\n${bold(`${i + 1}. ${scenario.title}`)}`);
      for (const [j, step] of scenario.steps.entries()) {
        const n = `${i + 1}.${j + 1}`;
        let detail = '';
        let ok = false;
        try {
          detail = await this.playStep(step, n);
          ok = detail === '';
        } catch (e) {
          detail = (e as Error).message;
          this.print(`     ${red('✗')} ${detail}`);
        }
        results.push({ scenario: scenario.title, step: `${n} ${step.say}`, ok, detail });
      }
    }
    return results;
  }

  async getCase(caseId: string, key: string): Promise<{ status: number; body: CaseView }> {
    const res = await fetch(`${this.gateway(key).url}/v1/cases/${encodeURIComponent(caseId)}`, { headers: { authorization: `Bearer ${key}` } });
    return { status: res.status, body: (await res.json()) as CaseView };
  }

  private gateway(key: string): { url: string; name: string } {
    return this.options.gatewayFor?.(key) ?? { url: this.options.gatewayUrl, name: 'the gateway' };
  }

  /** Plays one step; returns '' when its expectations held, or what went wrong. */
  private async playStep(step: Step, n: string): Promise<string> {
    const body: EventBody = exampleBody(step.eventType);
    body.occurredAt = new Date().toISOString();
    step.patch?.(body);
    body.caseId = this.caseId(body.caseId);
    this.print(`\n  ${bold(n)} ${step.say}`);
    this.print(`     ${region(body.sourceRegion)} → ${region(body.targetRegion)}   ${cyan(body.eventType)}   ${dim(body.caseId)}`);
    const who = people(body);
    if (who) this.print(`     ${dim('about')} ${who}`);
    const gateway = this.gateway(step.key);
    const res = await fetch(`${gateway.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${step.key}` },
      body: JSON.stringify(body),
    });
    const answer = (await res.json()) as { eventId?: string; error?: { code: string; message: string; details: Array<{ path: string; problem: string }> } };
    const expected = step.expectStatus ?? 202;
    if (res.status !== expected) {
      const problem = `${gateway.name} answered ${res.status}, expected ${expected}: ${JSON.stringify(answer.error ?? answer)}`;
      this.print(`     ${red('✗')} ${problem}`);
      return problem;
    }
    if (res.status === 202) {
      this.print(`     ${green('✓')} accepted by ${gateway.name} (event ${answer.eventId})`);
      if (answer.eventId) this.options.onAccepted?.(answer.eventId, step);
      if (answer.eventId) await this.followTransit(gateway, step.key, answer.eventId);
    } else {
      this.print(`     ${green('✓')} refused by ${gateway.name} as expected: ${res.status} ${answer.error?.code}`);
      for (const d of answer.error?.details ?? []) this.print(`       ${yellow(d.path)}: ${d.problem}`);
    }
    for (const expectation of step.expectCases ?? (step.expectCase ? [step.expectCase] : [])) {
      const caseId = expectation.caseId ? this.caseId(expectation.caseId) : body.caseId;
      const problem = await this.awaitCase(caseId, expectation);
      if (problem) return problem;
    }
    return '';
  }

  /**
   * An event for the other province: what the accepting side's gateway says of it on its way (sent into the
   * link, then the receipt the other province sends back). Shown for a person to watch; never fails the step.
   */
  private async followTransit(gateway: { url: string; name: string }, key: string, eventId: string): Promise<void> {
    const started = Date.now();
    let shown = '';
    while (Date.now() - started < 15_000) {
      const res = await fetch(`${gateway.url}/v1/events/${eventId}`, { headers: { authorization: `Bearer ${key}` } }).catch(() => undefined);
      const transit = res?.ok ? ((await res.json()) as { transit?: { province: string; status: string; node: string | null } | null }).transit : undefined;
      if (transit === undefined) return;
      const status = transit?.status ?? 'accepted';
      if (status !== shown && (status === 'in-transit' || status === 'accepted')) {
        if (status === 'in-transit') this.print(`     ${dim('↪')} ${gateway.name}: ${yellow('in transit')} to province ${transit!.province} over the link`);
        shown = status;
      }
      if (transit && ['applied', 'rejected', 'arrived'].includes(transit.status)) {
        this.print(
          `     ${green('✓')} ${gateway.name} has the receipt: ${bold(transit.status)} at node ${transit.node} (${Date.now() - started} ms after acceptance)`,
        );
        return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    this.print(`     ${dim('↪')} ${gateway.name}: no receipt yet from the other province after 15 s (the case check below waits for it)`);
  }

  private async awaitCase(caseId: string, e: NonNullable<Step['expectCase']>): Promise<string> {
    const started = Date.now();
    let last: { status: number; body: CaseView } | undefined;
    let problem = '';
    while (Date.now() - started < this.timeoutMs) {
      last = await this.getCase(caseId, e.key);
      problem =
        last.status !== 200
          ? `case ${caseId} answered ${last.status} to ${e.key}`
          : e.state && last.body.state !== e.state
            ? `case ${caseId} is ${last.body.state}, expected ${e.state}`
            : e.view && last.body.view !== e.view
              ? `case ${caseId} shows a ${last.body.view} view, expected ${e.view}`
              : (e.check?.(last.body) ?? '');
      if (!problem) {
        const who = e.key.replace(/^dev-/, '');
        const refused = (last.body.history ?? []).filter((h) => h.outcome === 'rejected').map((h) => `${h.eventType}: ${h.reason}`);
        this.print(
          `     ${green('✓')} ${who} sees ${dim(caseId)} ${bold(last.body.state ?? last.body.view)} (${last.body.view} view, ${Date.now() - started} ms)`,
        );
        if (e.showRefusals) for (const r of refused) this.print(`       ${yellow('refused')}: ${r}`);
        if (e.note) this.print(`       ${e.note(last.body)}`);
        return '';
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    this.print(`     ${red('✗')} ${problem} (after ${this.timeoutMs} ms)`);
    return problem;
  }
}

/** The people named in a body, masked as an operator would see them. */
function people(body: EventBody): string {
  const found: string[] = [];
  const walk = (v: unknown) => {
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (typeof o.name === 'string' && typeof o.idNumber === 'string') found.push(`${maskName(o.name)} ${dim(maskId(o.idNumber))}`);
    Object.values(o).forEach(walk);
  };
  walk(body.payload);
  return [...new Set(found)].join(', ');
}
