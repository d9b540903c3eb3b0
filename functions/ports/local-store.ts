/**
 * LocalObjectStore: ObjectStore over a local directory. Keys are '/'-separated paths under the root.
 * Writes are atomic (temp file in the same directory, then rename); replacePrefix publishes a staged
 * directory with renames so readers see the old or the new tree, never a mix.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, renameSync, rmSync, writeFileSync, writeFile as writeFileCallback } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { pipeline } from 'node:stream/promises';
import { NotFoundError, joinKey, type ObjectInfo, type ObjectStore } from './object-store.ts';

const TMP_PREFIX = '.tmp-';
const TRASH_PREFIX = '.trash-';

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** fs.writeFile through its callback form: no FileHandle object per write (many small documents). */
const writeFile = promisify(writeFileCallback);

// Temp names need only differ between concurrent writers: random per process (a pid can be
// reused), then a counter, rather than random bytes drawn for each of tens of thousands of objects.
const PROCESS_TAG = `${process.pid}-${randomBytes(4).toString('hex')}`;
let written = 0;
function uniqueSuffix(): string {
  return `${PROCESS_TAG}-${(written++).toString(36)}`;
}

export class LocalObjectStore implements ObjectStore {
  readonly root: string;

  constructor(rootDir: string) {
    this.root = path.resolve(rootDir);
  }

  /** Absolute filesystem path of a key. Rejects keys escaping the root. */
  private abs(key: string): string {
    const norm = joinKey(key);
    if (norm.split('/').some((seg) => seg === '..' || seg === '.')) {
      throw new Error(`invalid key (contains '.' or '..' segment): ${key}`);
    }
    return norm.length === 0 ? this.root : path.join(this.root, ...norm.split('/'));
  }

  uri(key: string): string {
    return this.abs(key);
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      const buf = await fs.readFile(this.abs(key));
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (err) {
      if (isNotFound(err) || (err as NodeJS.ErrnoException).code === 'EISDIR') throw new NotFoundError(key);
      throw err;
    }
  }

  async getStream(key: string): Promise<Readable> {
    const file = this.abs(key);
    // Check first: createReadStream reports ENOENT asynchronously as a stream 'error' event.
    let st;
    try {
      st = await fs.stat(file);
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(key);
      throw err;
    }
    if (!st.isFile()) throw new NotFoundError(key);
    return createReadStream(file);
  }

  async put(key: string, body: Uint8Array | string | Readable): Promise<void> {
    const file = this.abs(key);
    if (file === this.root) throw new Error('put: empty key');
    const dir = path.dirname(file);
    const tmp = path.join(dir, `${TMP_PREFIX}${path.basename(file)}-${uniqueSuffix()}`);
    try {
      if (body instanceof Readable) {
        await fs.mkdir(dir, { recursive: true });
        await pipeline(body, createWriteStream(tmp));
      } else {
        // The directory is created only when the write finds it missing: a run writes tens of
        // thousands of documents into a few directories, and a mkdir per object is a third of the work.
        await writeFile(tmp, body).catch(async (err: unknown) => {
          if (!isNotFound(err)) throw err;
          await fs.mkdir(dir, { recursive: true });
          await writeFile(tmp, body);
        });
      }
      await fs.rename(tmp, file);
    } catch (err) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  /**
   * put() with blocking calls, for a thread whose writes nothing else waits on (a document thread):
   * the same temp file and rename, so the object appears whole or not at all.
   */
  putSync(key: string, body: Uint8Array | string): void {
    const file = this.abs(key);
    if (file === this.root) throw new Error('put: empty key');
    const dir = path.dirname(file);
    const tmp = path.join(dir, `${TMP_PREFIX}${path.basename(file)}-${uniqueSuffix()}`);
    try {
      try {
        writeFileSync(tmp, body);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        mkdirSync(dir, { recursive: true });
        writeFileSync(tmp, body);
      }
      renameSync(tmp, file);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  }

  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    const file = this.abs(key);
    if (file === this.root) throw new Error('putIfAbsent: empty key');
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = path.join(path.dirname(file), `${TMP_PREFIX}${path.basename(file)}-${uniqueSuffix()}`);
    await fs.writeFile(tmp, body);
    try {
      // link() fails with EEXIST when the target exists: the whole content appears at once or not at all.
      await fs.link(tmp, file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      const st = await fs.stat(this.abs(key));
      return st.isFile();
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const norm = joinKey(prefix);
    const out: ObjectInfo[] = [];
    // A prefix is a directory (the usual case) or a single file key.
    const start = this.abs(norm);
    let st;
    try {
      st = await fs.stat(start);
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
    if (st.isFile()) {
      out.push({ key: norm, size: st.size });
      return out;
    }
    const walk = async (dir: string, rel: string): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (isNotFound(err)) return; // removed concurrently
        throw err;
      }
      for (const e of entries) {
        // Skip in-flight temp files and trash directories from concurrent writers.
        if (e.name.startsWith(TMP_PREFIX) || e.name.startsWith(TRASH_PREFIX)) continue;
        const childRel = rel ? `${rel}/${e.name}` : e.name;
        const childAbs = path.join(dir, e.name);
        if (e.isDirectory()) {
          await walk(childAbs, childRel);
        } else if (e.isFile()) {
          try {
            const s = await fs.stat(childAbs);
            out.push({ key: childRel, size: s.size });
          } catch (err) {
            if (!isNotFound(err)) throw err;
          }
        }
      }
    };
    await walk(start, norm);
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out;
  }

  async deletePrefix(prefix: string): Promise<void> {
    const target = this.abs(prefix);
    if (target === this.root) {
      // Empty prefix: clear the root's contents but keep the root itself.
      let entries: string[] = [];
      try {
        entries = await fs.readdir(target);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      await Promise.all(entries.map((e) => fs.rm(path.join(target, e), { recursive: true, force: true })));
      return;
    }
    await fs.rm(target, { recursive: true, force: true });
  }

  async replacePrefix(from: string, to: string): Promise<void> {
    const src = this.abs(from);
    const dst = this.abs(to);
    if (src === this.root || dst === this.root) throw new Error('replacePrefix: empty prefix');
    if (src === dst) return;
    if (dst.startsWith(src + path.sep) || src.startsWith(dst + path.sep)) {
      throw new Error(`replacePrefix: prefixes overlap (${from} -> ${to})`);
    }
    try {
      await fs.stat(src);
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(from);
      throw err;
    }
    const dstParent = path.dirname(dst);
    await fs.mkdir(dstParent, { recursive: true });
    // The trash of an earlier replace of the same target that a crash left behind.
    const stale = `${TRASH_PREFIX}${path.basename(dst)}-`;
    for (const e of await fs.readdir(dstParent)) {
      if (e.startsWith(stale)) await fs.rm(path.join(dstParent, e), { recursive: true, force: true });
    }
    // Move the current `to` aside (same parent, so the rename stays on one filesystem), then
    // rename the staged tree into place. Between the two renames `to` is briefly absent, but it
    // never holds a mix of old and new objects.
    const trash = path.join(dstParent, `${TRASH_PREFIX}${path.basename(dst)}-${uniqueSuffix()}`);
    let movedAside = false;
    try {
      await fs.rename(dst, trash);
      movedAside = true;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    try {
      await fs.rename(src, dst);
    } catch (err) {
      // Put the old content back so a failed publish leaves `to` untouched.
      if (movedAside) await fs.rename(trash, dst).catch(() => undefined);
      throw err;
    }
    if (movedAside) await fs.rm(trash, { recursive: true, force: true });
  }
}
