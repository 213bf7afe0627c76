import type { TestResult } from './context.js';

/** The summary table: one PASS/FAIL line per test with its figures, then each test's details. */
export function printSummary(results: TestResult[], log: (line: string) => void, elapsedMs: number): void {
  const out: string[] = [];
  out.push('');
  out.push('==== cluster:test summary ====');
  out.push('| test | result | figures |');
  out.push('|---|---|---|');
  for (const r of results) out.push(`| ${r.id} ${r.name} | ${r.pass ? 'PASS' : 'FAIL'} | ${r.summary.replace(/\|/g, '/')} |`);
  out.push('');
  for (const r of results) {
    out.push(`${r.id} ${r.name}: ${r.pass ? 'PASS' : 'FAIL'}`);
    for (const d of r.details) out.push(`  ${d}`);
  }
  const failed = results.filter((r) => !r.pass).map((r) => r.id);
  out.push('');
  out.push(`${results.length - failed.length} passed, ${failed.length} failed` + (failed.length ? ` (${failed.join(', ')})` : '') +
    ` in ${(elapsedMs / 1000).toFixed(0)} s`);
  process.stdout.write(out.join('\n') + '\n');
  void log;
}
