import type { Context, TestResult } from './context.js';

export async function t5Replica(ctx: Context): Promise<TestResult> {
  void ctx;
  return { id: 'T5', name: 'T5', pass: false, summary: 'not written yet', details: [] };
}
