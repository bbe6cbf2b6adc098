import { chmodSync, closeSync, constants, copyFileSync, existsSync, fchmodSync, fchownSync, fsyncSync, mkdirSync, openSync, promises as fs, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * All file access goes through this port so the tool can work on a directory tree
 * (`--root`, and the executor tests) exactly as it works on `/`.
 * Paths given to it are absolute host paths such as `/etc/docker/daemon.json`.
 */
export interface HostFiles {
  readonly root: string;
  /**
   * offThread: on the thread pool, for a file the kernel is slow to produce (/proc/net/tcp), so the
   * main thread works on meanwhile.
   */
  read(file: string, opts?: { offThread?: boolean }): Promise<string | null>;
  readBytes(file: string): Promise<Buffer | null>;
  exists(file: string): Promise<boolean>;
  list(dir: string): Promise<string[]>;
  mode(file: string): Promise<number | null>;
  /** true for a directory, false for anything else there, null when nothing is. */
  isDirectory(path: string): Promise<boolean | null>;
  /** The owning user id, null when nothing is there. */
  owner(path: string): Promise<number | null>;
  /** How many names the file or directory there has (0: deleted, held open only); null when none, or it cannot be looked at. */
  links(path: string): Promise<number | null>;
  /** Atomic replace: temp file in the same directory, fsync, rename; mode and owner of the old file kept. */
  writeAtomic(file: string, text: string, opts?: { mode?: number }): Promise<void>;
  /** Copies the current file next to itself with a timestamp; returns the backup path (host path). */
  backup(file: string, stamp: string): Promise<string | null>;
  remove(file: string): Promise<void>;
  removeTree(dir: string): Promise<void>;
  /** Removes a directory only when it is empty; false when it is not, is not there, or is a mount point (a disk of its own). */
  removeIfEmpty(dir: string): Promise<boolean>;
  /** Creates a file only if it does not exist yet; false when it does (for locks). */
  createExclusive(file: string, text: string): Promise<boolean>;
  readlink(file: string): Promise<string | null>;
  ensureDir(dir: string, mode: number): Promise<void>;
  chmod(file: string, mode: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  real(file: string): string;
}

/**
 * The calls are synchronous (all but the tree removal): the files are small, and one synchronous
 * read is a few system calls, where fs.promises makes a thread-pool round trip for each (about half
 * a millisecond per file here; gathering facts reads dozens, and taking the lock cost 5 ms).
 */
export function hostFiles(root = '/'): HostFiles {
  const real = (file: string) => path.join(root, file);

  // daemon.json may be a symlink (config management does this): edit its target, keep the link.
  function resolveTarget(file: string): string {
    try {
      return realpathSync(real(file));
    } catch {
      return real(file);
    }
  }

  return {
    root,
    real,
    async read(file, opts) {
      try {
        return opts?.offThread ? await fs.readFile(real(file), 'utf8') : readFileSync(real(file), 'utf8');
      } catch (err) {
        if (isNotFound(err)) return null;
        throw naming(err, file);
      }
    },
    async readBytes(file) {
      try {
        return readFileSync(real(file));
      } catch (err) {
        if (isNotFound(err)) return null;
        throw naming(err, file);
      }
    },
    async exists(file) {
      return existsSync(real(file));
    },
    async list(dir) {
      try {
        return readdirSync(real(dir)).sort();
      } catch (err) {
        if (isNotFound(err) || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
        throw err;
      }
    },
    async isDirectory(p) {
      try {
        return statSync(real(p)).isDirectory();
      } catch (err) {
        if (isNotFound(err)) return null;
        // a file on the way: no directory can be there
        if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
        throw err;
      }
    },
    async links(p) {
      try {
        return statSync(real(p)).nlink;
      } catch {
        return null;
      }
    },
    async owner(p) {
      try {
        return statSync(real(p)).uid;
      } catch (err) {
        if (isNotFound(err) || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
        throw err;
      }
    },
    async mode(file) {
      try {
        return statSync(real(file)).mode & 0o7777;
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
    async writeAtomic(file, text, opts = {}) {
      const target = resolveTarget(file);
      const dir = path.dirname(target);
      mkdirSync(dir, { recursive: true });
      let mode = opts.mode ?? 0o644;
      let owner: { uid: number; gid: number } | undefined;
      try {
        const st = statSync(target);
        mode = st.mode & 0o7777;
        owner = { uid: st.uid, gid: st.gid };
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      const tmp = path.join(dir, `.${path.basename(target)}.setup-registry-${process.pid}.tmp`);
      let fd: number;
      try {
        fd = openSync(tmp, 'w', mode);
      } catch (err) {
        throw unchangeable(err, file, `/${path.relative(root, dir)}`);
      }
      try {
        writeFileSync(fd, text, 'utf8');
        fchmodSync(fd, mode);
        if (owner) fchownSync(fd, owner.uid, owner.gid);
        fsyncSync(fd);
      } catch (err) {
        closeSync(fd);
        rmSync(tmp, { force: true });
        throw err;
      }
      closeSync(fd);
      try {
        renameSync(tmp, target);
      } catch (err) {
        rmSync(tmp, { force: true });
        throw unchangeable(err, file, `/${path.relative(root, target)}`);
      }
    },
    async backup(file, stamp) {
      const target = resolveTarget(file);
      const backupReal = `${target}.${stamp}.bak`;
      const hostBackup = `/${path.relative(root, backupReal)}`;
      try {
        copyFileSync(target, backupReal, constants.COPYFILE_EXCL);
      } catch (err) {
        if (isNotFound(err)) return null;
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return hostBackup;
        throw err;
      }
      return hostBackup;
    },
    async createExclusive(file, text) {
      mkdirSync(path.dirname(real(file)), { recursive: true });
      try {
        writeFileSync(real(file), text, { flag: 'wx', mode: 0o644 });
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw err;
      }
    },
    async removeTree(dir) {
      await fs.rm(real(dir), { recursive: true, force: true });
    },
    async removeIfEmpty(dir) {
      try {
        rmdirSync(real(dir));
        return true;
      } catch (err) {
        if (isNotFound(err) || ['ENOTEMPTY', 'EEXIST', 'ENOTDIR', 'EBUSY'].includes((err as NodeJS.ErrnoException).code ?? '')) return false;
        throw err;
      }
    },
    async ensureDir(dir, mode) {
      mkdirSync(real(dir), { recursive: true, mode });
      chmodSync(real(dir), mode);
    },
    async chmod(file, mode) {
      chmodSync(real(file), mode);
    },
    async rename(from, to) {
      renameSync(real(from), real(to));
    },
    async readlink(file) {
      try {
        return readlinkSync(real(file));
      } catch {
        return null;
      }
    },
    async remove(file) {
      rmSync(resolveTarget(file), { force: true });
    },
  };
}

/** A read's error names the file (node's EISDIR and EIO messages do not), its code kept. */
function naming(err: unknown, file: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.message !== 'string' || e.message.includes(file)) return err;
  return Object.assign(new Error(`${file}: ${e.code === 'EISDIR' ? 'is a directory, not a file' : e.message}`), { code: e.code });
}

/**
 * EPERM where root may write is the immutable or append-only attribute (`chattr +i`, which some
 * operators set to keep tools off daemon.json): say so, with the command that shows it.
 */
function unchangeable(err: unknown, file: string, held: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (e?.code !== 'EPERM') return err;
  return Object.assign(new Error(`cannot replace ${file} (EPERM): ${held} is immutable or append-only (lsattr -d ${held}; chattr -i ${held} allows the change)`), { code: e.code });
}

export function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}
