import { NodeFS } from '@electric-sql/pglite/nodefs';

type NodeFSOptions = Parameters<NodeFS['init']>[1];
type Module = NodeFSOptions extends { preRun?: ((mod: infer M) => void)[] } ? M : never;
type Chmod = (path: unknown, mode: number, dontFollow?: boolean) => void;

/**
 * PGlite's data folder on disk, with files only the owner can read or write. PGlite's
 * in-WASM file system chmods every file it creates to the mode PostgreSQL asked for minus its
 * own umask (022, and none at all while creating the folder), which gives 0644/0666 files
 * whatever the process umask; its chmod keeps only the owner's bits here.
 */
export class PrivateNodeFS extends NodeFS {
  override async init(...args: Parameters<NodeFS['init']>): ReturnType<NodeFS['init']> {
    const { emscriptenOpts } = await super.init(...args);
    const ownerOnly = (mod: Module) => {
      const fs = mod.FS as unknown as { chmod: Chmod };
      const chmod = fs.chmod;
      fs.chmod = (path, mode, dontFollow) => chmod.call(fs, path, mode & ~0o077, dontFollow);
    };
    return { emscriptenOpts: { ...emscriptenOpts, preRun: [...(emscriptenOpts.preRun ?? []), ownerOnly] } };
  }
}
