import type { Context, TestResult } from './context.js';

export async function t4Failover(ctx: Context): Promise<TestResult> {
  void ctx;
  return { id: 'T4', name: 'T4', pass: false, summary: 'not written yet', details: [] };
}
