// Mocha's spec reporter, closing with the plain line CI reads: "N passed, N failed".
const { Spec } = require('mocha').reporters;

class SpecWithTotals extends Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once('end', () => {
      const { passes, failures, pending } = this.stats;
      process.stdout.write(`${passes} passed, ${failures} failed${pending ? `, ${pending} skipped` : ''}\n`);
    });
  }
}

module.exports = SpecWithTotals;
