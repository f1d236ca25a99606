// Prints one closing line that counts every test the run executed, from the
// Jest and Playwright JSON reports, so CI can tell "ran no test" from a pass.
const fs = require('node:fs');
const path = require('node:path');

const resultsDir = process.argv[2];
const readJson = file =>
  JSON.parse(fs.readFileSync(path.join(resultsDir, file), 'utf8'));

const jest = readJson('jest.json');
const playwright = readJson('playwright.json');

const passed = jest.numPassedTests + playwright.stats.expected;
const failed = jest.numFailedTests + playwright.stats.unexpected;
const skipped = jest.numPendingTests + playwright.stats.skipped;

console.log(
  `Jest: ${jest.numPassedTests} passed in ${jest.numTotalTestSuites} suites; Playwright: ${playwright.stats.expected} passed`,
);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
