/**
 * The transfer list for posting `bytes` to another thread: its memory when the view spans all of
 * it and may move (it then leaves this thread uncopied), else nothing (it is copied). Node's
 * Buffer pool may never move: Node 22 throws when it is listed, Node 20 copies it silently.
 */
export function ownTransfer(bytes: Uint8Array): ArrayBuffer[] {
  const memory = bytes.buffer;
  return memory instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === memory.byteLength ? [memory] : [];
}
