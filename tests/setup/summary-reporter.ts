/**
 * Ends the test run with one plain line, `vitest: N passed, N failed, N skipped`, that CI
 * and people read at a glance; skipped tests (Temporal without a server) stay visible.
 */
import type { Reporter, TestModule, TestSuite } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    // A failing beforeAll skips its tests: count the file or suite itself as failed.
    let brokenSetups = 0;
    for (const module of modules) {
      const suites: (TestModule | TestSuite)[] = [module, ...module.children.allSuites()];
      brokenSetups += suites.filter((s) => s.errors().length > 0).length;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else counts.skipped++;
      }
    }
    const setups = brokenSetups === 0 ? '' : `, ${brokenSetups} failed setup${brokenSetups === 1 ? '' : 's'} (their tests counted as skipped)`;
    process.stdout.write(`\nvitest: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped${setups}\n`);
  }
}
