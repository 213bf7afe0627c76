import type { Context, TestResult } from './context.js';

export async function t3ExactlyOnce(ctx: Context): Promise<TestResult> {
  void ctx;
  return { id: 'T3', name: 'T3', pass: false, summary: 'not written yet', details: [] };
}
