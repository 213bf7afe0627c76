import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Only the owner may enter or read: password hashes and balances live in these files. */
export const PRIVATE_UMASK = 0o077;

/**
 * Creates `dir` if needed and takes group and other permissions off it and everything inside,
 * so a folder made by an older version (or copied carelessly) is private before it is used.
 * Symbolic links are left alone (their targets are not ours to change).
 */
export function makePrivate(dir: string): void {
  makeFolder(dir);
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

/**
 * `mkdir -p` that fails rather than loops: Node's recursive mkdirSync spins forever when the
 * kernel answers ENOENT for a folder whose parent exists (any path under /proc), so each level
 * is made here, once. Throws the system error (its code and path) of the level that failed;
 * ENOTDIR when a file stands where a folder should be.
 */
export function makeFolder(dir: string, mode = 0o700): void {
  const parent = dirname(dir);
  try {
    mkdirSync(dir, { mode });
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (isFolder(dir)) return;
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR', path: dir });
    }
    // A missing parent is made first; a parent that exists yet refuses the child is the error.
    if (code !== 'ENOENT' || parent === dir || isFolder(parent)) throw err;
  }
  makeFolder(parent, mode);
  try {
    mkdirSync(dir, { mode });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !isFolder(dir)) throw err;
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
