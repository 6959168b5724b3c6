// Jest reporter of `npm run attack`: for each attack (a describe block named "attack: …") what was
// tried and the answer — each test's name says what was sent and what answer is expected — then the
// closing "N passed, N failed" line.
class AttackReporter {
  constructor(globalConfig) {
    this.globalConfig = globalConfig;
    this.passed = 0;
    this.failed = 0;
    this.skipped = 0;
    this.lastAttack = undefined;
  }

  onTestResult(_test, result) {
    if (result.testExecError) {
      this.failed++;
      process.stdout.write(`\nFAIL  ${result.testFilePath}: ${firstLine(result.testExecError.message)}\n`);
      return;
    }
    for (const t of result.testResults) {
      const attack = t.ancestorTitles.find((a) => /^attack:/i.test(a)) ?? t.ancestorTitles.join(' › ') ?? '(no attack named)';
      if (attack !== this.lastAttack) {
        process.stdout.write(`\n${attack.toUpperCase().startsWith('ATTACK:') ? attack : `attack: ${attack}`}\n`);
        this.lastAttack = attack;
      }
      const answer = t.status === 'passed' ? 'as expected (pass)' : t.status === 'failed' ? 'NOT as expected (FAIL)' : 'skipped';
      process.stdout.write(`  tried: ${t.title}\n    answer: ${answer}${t.duration ? `  [${t.duration} ms]` : ''}\n`);
      if (t.status === 'failed') {
        this.failed++;
        for (const m of t.failureMessages) process.stdout.write(`    ${firstLine(m)}\n`);
      } else if (t.status === 'passed') this.passed++;
      else this.skipped++;
    }
  }

  onRunComplete() {
    process.stdout.write(`\n${this.passed} passed, ${this.failed} failed${this.skipped ? `, ${this.skipped} skipped` : ''}\n`);
  }

  getLastError() {
    return this.failed > 0 ? new Error(`${this.failed} attack test(s) failed`) : undefined;
  }
}

function firstLine(text) {
  // eslint-disable-next-line no-control-regex
  return String(text).replace(/\u001b\[[0-9;]*m/g, '').split('\n').find((l) => l.trim()) ?? '';
}

module.exports = AttackReporter;
