import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The checkout's root. Everything runs compiled, from build/src/ (see tsconfig.json), so the root
 * is always two folders above this file.
 */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const projectPath = (...parts: string[]): string => join(PROJECT_ROOT, ...parts);

export const PACKAGE_VERSION = (JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as { version: string }).version;
