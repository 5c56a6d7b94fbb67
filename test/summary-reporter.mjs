// Prints one plain closing line ("jest: N passed, N failed, N skipped") that
// CI and people can read without parsing jest's own summary. Under CI=true a
// skipped test fails the run: in CI every real server is installed, so nothing
// has a reason to skip.
export default class SummaryReporter {
  #error = undefined;

  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(`\njest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`);
    if (process.env.CI === 'true' && skipped > 0) {
      this.#error = new Error(`${skipped} test(s) skipped under CI=true`);
      process.stdout.write(`jest: ${this.#error.message}; nothing may skip in CI\n`);
    }
  }

  getLastError() {
    return this.#error;
  }
}
