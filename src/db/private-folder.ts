import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Only the owner may enter or read: password hashes and balances live in these files. */
export const PRIVATE_UMASK = 0o077;

/**
 * Creates `dir` if needed and takes group and other permissions off it and everything inside,
 * so a folder made by an older version (or copied carelessly) is private before it is used.
 * Symbolic links are left alone (their targets are not ours to change).
 */
export function makePrivate(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (process.platform === 'win32') return; // modes do not apply; the folder's ACL does
  const visit = (path: string) => {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return;
    if ((st.mode & 0o077) !== 0) {
      try {
        chmodSync(path, st.mode & 0o700);
      } catch (err) {
        throw new Error(
          `${path} is accessible to other users and cannot be made private (${(err as Error).message}); ` +
            `make it owned by the user running the server, or run \`chmod -R go-rwx ${dir}\``,
        );
      }
    }
    if (st.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(dir);
}
