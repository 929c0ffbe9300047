// Test files run in parallel worker processes, each with its own embedded PostgreSQL, since most
// of a test's time is spent waiting (on the database, a child process, a browser). An external
// DATABASE_URL has one test database, so there the files run one after another.
const parallel = !process.env.DATABASE_URL && process.env.TEST_JOBS !== '1';

module.exports = {
  'node-option': ['import=tsx'],
  require: ['test/setup.ts'],
  // Generous: files share two cores, so a slow step is slower than alone; a hang still ends.
  timeout: 60000,
  exit: true,
  reporter: 'test/support/reporter.cjs',
  parallel,
  ...(parallel ? { jobs: Number(process.env.TEST_JOBS) || 3 } : {}),
};
